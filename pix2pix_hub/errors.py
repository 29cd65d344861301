"""The one exception type users see: a bad file, folder or argument, described with what to do about it."""


class Pix2PixHubError(ValueError):
    """Bad input to pix2pix_hub (a file, folder, config or argument); the message names it and the fix."""
