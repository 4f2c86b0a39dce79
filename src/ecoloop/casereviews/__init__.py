"""Case-file review (案卷评审): scoring the penalty case files over the review items, by several reviewers, with the
low scores returned for correction and a yearly summary (issue 19)."""
