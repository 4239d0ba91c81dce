"""Every error the AI clients raise, so callers can catch them by kind."""


class ClientError(Exception):
    """Base of the errors raised by the clients package."""


class MissingSettingError(ClientError):
    """A setting the call needs is empty; raised at the call, never at start-up."""

    def __init__(self, setting: str) -> None:
        self.setting = setting
        super().__init__(f"{setting} is not set; put it in .env or the environment")


class ProviderError(ClientError):
    """The LLM provider refused or failed a request.

    The message is the provider's own, with the token scrubbed out; it is meant
    for logs, not for the callers of the service.
    """

    def __init__(self, message: str, *, status_code: int | None = None) -> None:
        self.status_code = status_code
        super().__init__(message)


class AuthenticationError(ProviderError):
    """The provider rejected the token (401 or 403); retrying will not help."""


class PaymentRequiredError(ProviderError):
    """The provider account is out of credit (402)."""


class RateLimitError(ProviderError):
    """The provider kept answering 429 after the configured retries."""

    def __init__(
        self,
        message: str,
        *,
        status_code: int | None = 429,
        retry_after: float | None = None,
    ) -> None:
        self.retry_after = retry_after
        super().__init__(message, status_code=status_code)


class ProviderTimeoutError(ProviderError):
    """The provider did not answer within OPENROUTER_TIMEOUT."""


class RequestRejectedError(ProviderError):
    """The provider refused the request itself (400, 404, 422): fix the call."""


class UpstreamError(ProviderError):
    """The provider or the model behind it failed.

    Covers 5xx answers, dropped connections, and errors reported inside a 200
    answer or in the middle of a stream.
    """


class StructuredOutputError(ClientError):
    """The model's reply does not fit the requested response model."""


class SchemaNotSupportedError(StructuredOutputError):
    """The response model cannot be written as a strict JSON schema."""


class ToolError(ClientError):
    """A tool call failed; the message goes to the model as the call's result."""


class ToolDefinitionError(ClientError):
    """A tool cannot be registered as given."""
