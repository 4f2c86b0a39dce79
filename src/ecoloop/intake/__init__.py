"""Intake from every channel: public complaints (web, WeChat, 12369 hotline, letters, Open311), partner platforms'
warnings, and the citizen's side (ticket, lookup, 回访), with the complainant's identity encrypted (issue 18)."""
