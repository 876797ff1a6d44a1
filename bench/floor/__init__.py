"""The framework floor for the intake benchmark: the least a Django endpoint that stores one row
can cost, served exactly as SQMS is (same settings, middleware, database and gunicorn flags).
Bench only; never installed in the product."""
