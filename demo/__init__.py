"""The demo trust and school that `make run` loads: above every other app, so it may use them all."""
