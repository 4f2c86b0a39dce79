"""The pages that show several capabilities at once, above them: the start page (`start.py`), and — issue 16 — the
overview screen (大屏) of the city and each county and the rankings (赛马), which combine the results with alerts
and cases."""
