"""The pins' panel on the domain dashboard (registered in PipelinesConfig.ready())."""

from dashboard.board.panels import Panel
from pipelines.pins.panels import pins

PINS = Panel("pins", "Model and prompt pins", "panel.pins", pins.build, lambda d: [])
