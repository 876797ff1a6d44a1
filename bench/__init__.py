"""SQMS benchmark harness: a synthetic national chain (`generate`), an HTTP load generator (`load`)
and the driver behind `make bench` (`run`). Nothing here is product code."""
