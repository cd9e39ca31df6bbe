"""The REST API, /api/v1/ (Django REST framework; schema by drf-spectacular): the framework pieces
(`authentication`, `permissions`, `throttling`, `errors`, `pagination`, `filters`) and one module
per resource. It sits above every app and calls their services and selectors; nothing imports it."""
