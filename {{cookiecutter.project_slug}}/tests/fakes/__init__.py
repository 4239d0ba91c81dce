"""Stand-ins for services the tests cannot reach: the LLM provider."""
