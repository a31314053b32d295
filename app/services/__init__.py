"""Qt-free business rules. Each public function is one user action (one unit of work), takes
primitives and returns frozen dataclasses; nothing here imports Qt."""
