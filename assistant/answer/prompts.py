"""Prompt templates from `prompts/`, rendered by Jinja2 with every variable required."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Any

from assistant.errors import ConfigError


class Prompts:
    def __init__(self, folder: Path) -> None:
        self.folder = folder

    @cached_property
    def _env(self) -> Any:
        from jinja2 import Environment, FileSystemLoader, StrictUndefined

        return Environment(
            loader=FileSystemLoader(str(self.folder)),
            undefined=StrictUndefined,
            autoescape=False,
            keep_trailing_newline=False,
            trim_blocks=False,
        )

    def render(self, name: str, **variables: Any) -> str:
        from jinja2 import TemplateNotFound, UndefinedError

        try:
            return str(self._env.get_template(name).render(refusal=self.refusal, **variables)).strip()
        except TemplateNotFound as exc:
            raise ConfigError(f"prompt template {name} is missing from {self.folder}/") from exc
        except UndefinedError as exc:
            raise ConfigError(f"prompt template {name}: {exc}") from exc

    @cached_property
    def refusal(self) -> str:
        path = self.folder / "refusal.txt"
        try:
            return path.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ConfigError(f"prompt file {path} is missing") from exc
