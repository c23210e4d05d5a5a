"""What every provider that calls a server shares (the embedding providers in
storage/search/embedding, the chat providers in storage/llm): ApiClient (retries, backoff,
Retry-After, streaming), Secrets (no key in any message), and how settings are layered and
checked."""
