// The officer's inspection form on a phone (issue 19): nothing typed is lost when the connection is.
//
// Every change is kept in the browser at once: the answers, notes, findings and conclusion in localStorage, the
// photos (with the time and place the phone gave) in IndexedDB. "Submit" first stores the record with a key made
// here (the idempotency key); if the phone is offline, or the server cannot be reached, the submission waits in
// localStorage ("已保存在本机，联网后自动提交") and is sent when the browser says it is back online (the `online`
// event) or at the next retry. Photos are uploaded first, each under its own key. The server stores a key once, so
// a submission sent twice (an answer lost on the way back) is not stored twice. A refusal (another officer changed
// the record, the inspection is complete, not your inspection) is shown in words and keeps what was typed. A photo
// the server refuses for itself (not an image, too large, one too many) is shown with the reason and dropped from
// the phone, and the record is sent all the same: a photo that can never be stored must not hold the record back.
// Runs under the CSP `script-src 'self'`: no inline code; photos are shown as data: URLs (img-src 'self' data:).
(function () {
  "use strict";

  var RETRY_MS = 15000;
  var DB_NAME = "ecoloop-inspections";
  var STORE = "photos";

  function newKey() {
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map
      .call(bytes, function (b) {
        return ("0" + b.toString(16)).slice(-2);
      })
      .join("");
  }

  // --- IndexedDB: the photos not uploaded yet ------------------------------------------------------------------
  function openDb() {
    return new Promise(function (resolve, reject) {
      if (!window.indexedDB) return reject(new Error("no IndexedDB"));
      var request = window.indexedDB.open(DB_NAME, 1);
      request.onupgradeneeded = function () {
        var store = request.result.createObjectStore(STORE, { keyPath: "key" });
        store.createIndex("inspection", "inspection");
      };
      request.onsuccess = function () {
        resolve(request.result);
      };
      request.onerror = function () {
        reject(request.error);
      };
    });
  }

  function withStore(mode, work) {
    return openDb().then(function (db) {
      return new Promise(function (resolve, reject) {
        var tx = db.transaction(STORE, mode);
        var result = work(tx.objectStore(STORE));
        tx.oncomplete = function () {
          resolve(result && "result" in result ? result.result : undefined);
        };
        tx.onerror = function () {
          reject(tx.error);
        };
      });
    });
  }

  function pendingPhotos(inspection) {
    return withStore("readonly", function (store) {
      return store.index("inspection").getAll(inspection);
    }).then(function (rows) {
      return rows || [];
    });
  }

  // --- the form -----------------------------------------------------------------------------------------------
  function Field(form) {
    this.form = form;
    this.inspection = form.getAttribute("data-inspection");
    this.storageKey = "ecoloop.inspection." + this.inspection + ".user." + form.getAttribute("data-user");
    this.texts = form.querySelector("template[data-texts]").dataset;
    this.status = document.querySelector("[data-sync-status]");
    this.error = document.querySelector("[data-sync-error]");
    this.button = form.querySelector("[data-submit]");
    this.retry = null;
    this.sending = false;
    this.again = false; // a flush asked for while one runs (Submit pressed meanwhile): run once more at its end
    this.state = this.load();
  }

  Field.prototype.load = function () {
    var state = null;
    try {
      state = JSON.parse(window.localStorage.getItem(this.storageKey) || "null");
    } catch (e) {
      state = null;
    }
    var version = parseInt(this.form.getAttribute("data-version"), 10);
    if (!state || (!state.dirty && !state.pending)) {
      state = { base: version, dirty: false, pending: null, fields: null };
    }
    return state;
  };

  Field.prototype.save = function () {
    window.localStorage.setItem(this.storageKey, JSON.stringify(this.state));
  };

  Field.prototype.read = function () {
    var fields = {};
    var elements = this.form.elements;
    for (var i = 0; i < elements.length; i++) {
      var e = elements[i];
      if (!e.name) continue;
      if (e.type === "radio") {
        if (e.checked) fields[e.name] = e.value;
      } else if (e.tagName === "TEXTAREA") {
        fields[e.name] = e.value;
      }
    }
    return fields;
  };

  Field.prototype.restore = function (fields) {
    var elements = this.form.elements;
    for (var i = 0; i < elements.length; i++) {
      var e = elements[i];
      if (!e.name) continue;
      if (e.type === "radio") e.checked = fields[e.name] === e.value;
      else if (e.tagName === "TEXTAREA") e.value = fields[e.name] || "";
    }
  };

  Field.prototype.payload = function (fields) {
    var answers = {};
    Object.keys(fields).forEach(function (name) {
      if (name.indexOf("answer-") === 0) {
        var key = name.slice(7);
        answers[key] = { answer: fields[name], note: fields["note-" + key] || "" };
      }
    });
    return { answers: answers, findings: fields.findings || "", conclusion: fields.conclusion || null };
  };

  Field.prototype.show = function (text, isError) {
    this.status.hidden = isError || !text;
    this.status.textContent = isError ? "" : text;
    this.error.hidden = !isError;
    this.error.textContent = isError ? text : "";
  };

  Field.prototype.changed = function () {
    this.state.fields = this.read();
    this.state.dirty = true;
    this.save();
  };

  Field.prototype.submit = function () {
    var fields = this.read();
    this.state.fields = fields;
    this.state.dirty = true;
    // One key per record submitted: pressed again before it was sent, the same submission waits.
    var payload = this.payload(fields);
    if (!this.state.pending || JSON.stringify(this.state.pending.record) !== JSON.stringify(payload)) {
      this.state.pending = { key: newKey(), record: payload };
    }
    this.save();
    this.flush();
  };

  Field.prototype.queued = function (text) {
    this.show(text || this.texts.queued, false);
    this.status.setAttribute("data-queued", "yes");
    this.schedule();
  };

  Field.prototype.schedule = function () {
    var self = this;
    if (this.retry) return;
    this.retry = window.setTimeout(function () {
      self.retry = null;
      self.flush();
    }, RETRY_MS);
  };

  Field.prototype.flush = function () {
    var self = this;
    if (this.sending) {
      // one flush at a time: an `online` event and a retry may come together; what came meanwhile runs after it
      this.again = true;
      return;
    }
    this.sending = true;
    this.again = false;
    pendingPhotos(this.inspection)
      .catch(function () {
        return [];
      })
      .then(function (photos) {
        var hasPending = !!self.state.pending;
        if (!hasPending && !photos.length) return;
        if (!navigator.onLine) {
          self.queued(hasPending ? self.texts.queued : self.texts.photoQueued);
          return;
        }
        if (hasPending) self.show(self.texts.sending, false);
        return self
          .uploadAll(photos)
          .then(function () {
            return hasPending ? self.send() : null;
          })
          .catch(function (problem) {
            if (problem && problem.refusal) self.refused(problem.refusal, problem.version);
            else if (problem && problem.signIn) self.show(self.texts.signin, true);
            else self.queued(problem && problem.server ? self.texts.failed : null);
          });
      })
      .then(function () {
        self.sending = false;
        if (self.again && self.state.pending) self.flush();
        self.again = false;
      });
  };

  function answerOf(response) {
    var type = response.headers.get("content-type") || "";
    if (type.indexOf("application/json") !== 0) {
      // a sign-in page instead of an answer: the session ended while offline
      if (response.redirected || response.status === 401) return Promise.reject({ signIn: true });
      // a body too large for the server, refused by it as a page (not JSON): a refusal without words of its own
      if (response.status === 413) return Promise.reject({ refusal: "", status: 413 });
      return Promise.reject({ server: true });
    }
    return response.json().then(function (body) {
      if (response.ok) return body;
      if (response.status >= 500) return Promise.reject({ server: true });
      var reason = body.reason || (typeof body.detail === "string" ? body.detail : "");
      return Promise.reject({ refusal: reason, version: body.version, status: response.status });
    });
  }

  Field.prototype.uploadAll = function (photos) {
    var self = this;
    return photos.reduce(function (chain, photo) {
      return chain.then(function () {
        var data = new FormData();
        data.append("key", photo.key);
        data.append("photo", photo.blob, "photo.jpg");
        data.append("taken_at", photo.takenAt || "");
        data.append("longitude", photo.longitude == null ? "" : String(photo.longitude));
        data.append("latitude", photo.latitude == null ? "" : String(photo.latitude));
        return fetch(self.form.getAttribute("data-photo-url"), {
          method: "POST",
          body: data,
          credentials: "same-origin",
          headers: { "X-CSRF-Token": self.form.getAttribute("data-csrf") },
        })
          .then(answerOf)
          .then(
            function (body) {
              self.photoStored(photo, body.url);
              return forget(photo);
            },
            function (problem) {
              if (!photoRefused(problem)) return Promise.reject(problem);
              self.photoRefused(photo, problem.refusal || self.texts.photoRefused);
              return forget(photo);
            }
          );
      });
    }, Promise.resolve());
  };

  function forget(photo) {
    return withStore("readwrite", function (store) {
      store.delete(photo.key);
    });
  }

  // Refused for the photo itself (its type, size, pixels, one too many: 4xx), so never to be sent again; not a
  // refusal of the officer (403), a conflict (409) or "too many requests" (429), which hold for the record too.
  function photoRefused(problem) {
    var status = problem && problem.refusal !== undefined ? problem.status : 0;
    return status >= 400 && status < 500 && [401, 403, 409, 429].indexOf(status) < 0;
  }

  Field.prototype.photoRefused = function (photo, reason) {
    var shown = this.form.querySelector('[data-photo-key="' + photo.key + '"]');
    if (!shown) return;
    shown.setAttribute("data-refused", "yes");
    var why = document.createElement("span");
    why.className = "error";
    why.setAttribute("data-photo-refused", "");
    why.textContent = reason;
    shown.appendChild(why);
  };

  Field.prototype.send = function () {
    var self = this;
    var pending = this.state.pending;
    var body = { key: pending.key, version: this.state.base };
    Object.keys(pending.record).forEach(function (k) {
      body[k] = pending.record[k];
    });
    return fetch(this.form.getAttribute("data-submit-url"), {
      method: "POST",
      body: JSON.stringify(body),
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": this.form.getAttribute("data-csrf") },
    })
      .then(answerOf)
      .then(function (answer) {
        self.state = { base: answer.version, dirty: false, pending: null, fields: null };
        self.save();
        self.status.removeAttribute("data-queued");
        self.show(answer.completed ? self.texts.completed : self.texts.sent, false);
        self.status.setAttribute("data-sent", "yes");
        self.form.setAttribute("data-version", String(answer.version));
        self.markConfirmed(answer.confirmed || []);
      });
  };

  Field.prototype.refused = function (reason, version) {
    // kept as typed, not sent again by itself: the officer reads the reason and decides. A record refused as
    // stale continues from the version now stored: submitted again, on purpose, it replaces the other's.
    this.state.pending = null;
    if (typeof version === "number") this.state.base = version;
    this.save();
    this.status.removeAttribute("data-queued");
    this.show(reason, true);
  };

  Field.prototype.markConfirmed = function (names) {
    var items = document.querySelectorAll("[data-officers] li");
    for (var i = 0; i < items.length; i++) {
      var li = items[i];
      var name = li.firstChild ? li.firstChild.textContent.trim() : "";
      var pending = li.querySelector(".pending");
      if (names.indexOf(name) >= 0 && pending) {
        pending.className = "confirmed";
        pending.textContent = "✓ " + this.texts.confirmed;
      }
    }
  };

  Field.prototype.photoStored = function (photo, url) {
    var shown = this.form.querySelector('[data-photo-key="' + photo.key + '"] img');
    if (shown && url) shown.src = url;
    var count = parseInt(this.form.getAttribute("data-photos"), 10) || 0;
    this.form.setAttribute("data-photos", String(count + 1));
  };

  Field.prototype.showPhoto = function (photo) {
    var list = this.form.querySelector("[data-photo-list]");
    var li = document.createElement("li");
    li.setAttribute("data-photo-key", photo.key);
    var img = document.createElement("img");
    img.alt = "";
    var reader = new FileReader();
    reader.onload = function () {
      img.src = reader.result;
    };
    reader.readAsDataURL(photo.blob);
    var caption = document.createElement("span");
    caption.textContent =
      new Date(photo.takenAt).toLocaleString() +
      (photo.latitude == null ? "" : " · " + photo.latitude.toFixed(5) + ", " + photo.longitude.toFixed(5));
    li.appendChild(img);
    li.appendChild(caption);
    list.appendChild(li);
  };

  Field.prototype.addPhoto = function (file) {
    var self = this;
    var photo = {
      key: newKey(),
      inspection: this.inspection,
      blob: file,
      takenAt: new Date(file.lastModified || Date.now()).toISOString(),
      longitude: null,
      latitude: null,
    };
    var located = new Promise(function (resolve) {
      if (!navigator.geolocation) return resolve();
      navigator.geolocation.getCurrentPosition(
        function (position) {
          photo.longitude = position.coords.longitude;
          photo.latitude = position.coords.latitude;
          resolve();
        },
        function () {
          resolve();
        },
        { timeout: 5000, maximumAge: 60000 }
      );
    });
    located
      .then(function () {
        return withStore("readwrite", function (store) {
          store.put(photo);
        });
      })
      .then(function () {
        self.showPhoto(photo);
        self.flush();
      });
  };

  Field.prototype.start = function () {
    var self = this;
    if (this.state.fields) this.restore(this.state.fields);
    this.form.addEventListener("input", function () {
      self.changed();
    });
    this.form.addEventListener("change", function (event) {
      if (event.target.hasAttribute("data-photo-input")) {
        var files = event.target.files;
        for (var i = 0; i < files.length; i++) self.addPhoto(files[i]);
        event.target.value = "";
        return;
      }
      self.changed();
    });
    this.form.addEventListener("submit", function (event) {
      event.preventDefault();
      self.submit();
    });
    window.addEventListener("online", function () {
      self.flush();
    });
    pendingPhotos(this.inspection)
      .then(function (photos) {
        photos.forEach(function (p) {
          self.showPhoto(p);
        });
      })
      .catch(function () {});
    this.flush();
    this.form.setAttribute("data-ready", "yes");
  };

  document.addEventListener("DOMContentLoaded", function () {
    var forms = document.querySelectorAll("[data-inspection-form]");
    for (var i = 0; i < forms.length; i++) new Field(forms[i]).start();
  });
})();
