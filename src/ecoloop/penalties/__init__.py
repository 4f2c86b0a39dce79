"""Administrative penalty cases (行政处罚): the legal procedure and its clock, the discretion benchmark and the case
documents (issue 19)."""
