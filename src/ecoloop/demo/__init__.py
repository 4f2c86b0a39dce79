"""The demo city (清源市): regions, organisations, enterprises and one user per role."""
