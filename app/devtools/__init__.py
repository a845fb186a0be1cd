"""Developer entry points that sit above the application (they build whole apps): a freshly
seeded app for tests and generators, and the OpenAPI example generator (`make examples`)."""
