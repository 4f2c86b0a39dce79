"""Monitoring sites (air and water stations, pollution-source outlets …) and the data loggers that feed them."""
