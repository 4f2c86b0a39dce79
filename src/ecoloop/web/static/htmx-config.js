// htmx settings (issue 13): attributes that reach a page inside stored text cannot act. Loaded after htmx and before
// it processes the page; no inline script (the CSP allows scripts from this site only).
// - allowEval false: no hx-on handlers, js: values or [filter] expressions are evaluated;
// - allowScriptTags false: <script> elements in swapped content do not run;
// - selfRequestsOnly: htmx requests go to this site only;
// - historyCacheSize 0: no copies of private pages in sessionStorage; a back step reloads the page instead.
(function () {
  "use strict";
  if (!window.htmx) return;
  var config = window.htmx.config;
  config.allowEval = false;
  config.allowScriptTags = false;
  config.selfRequestsOnly = true;
  config.historyCacheSize = 0;
  config.refreshOnHistoryMiss = true;
  config.includeIndicatorStyles = false;
})();
