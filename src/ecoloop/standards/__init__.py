"""National standards as pure functions: HJ 633 AQI, GB 3095 / HJ 663 evaluation, ranking, GB 3838, GB 3096 noise,
emissions.

Every function cites the clause it implements. Nothing here does I/O, reads settings or looks at the clock.
"""
