"""QApplication set-up: names (for settings), HiDPI, the Fusion style, the dark and light themes, the icon."""

from __future__ import annotations

import sys

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication, QIcon, QPalette
from PySide6.QtWidgets import QApplication, QProxyStyle, QStyle, QStyleFactory

from ... import __version__
from ...core.foundation import package_file
from . import settings as S

THEMES = ("dark", "light")


def app_icon() -> QIcon:
    svg = package_file("resources", "anonymizer-gui.svg")
    if svg.is_file():
        return QIcon(str(svg))
    return QIcon()  # an installed wheel without resources/: the platform's default icon


def create_application(argv: list[str] | None = None) -> QApplication:
    """The QApplication, configured once; returns the existing one (tests) after theming it."""
    app = QApplication.instance()
    if app is None:
        # Fractional scale factors (150 %) render sharp instead of being rounded to 1x or 2x.
        QGuiApplication.setHighDpiScaleFactorRoundingPolicy(
            Qt.HighDpiScaleFactorRoundingPolicy.PassThrough)
        app = QApplication([sys.argv[0] if sys.argv else S.APP_NAME] + list(argv or []))
    app.setApplicationName(S.APP_NAME)
    app.setApplicationDisplayName(S.APP_DISPLAY_NAME)
    app.setOrganizationName(S.ORG_NAME)
    app.setApplicationVersion(__version__)
    app.setDesktopFileName(S.APP_NAME)
    app.setWindowIcon(app_icon())
    apply_theme(app, str(S.app_settings().value(S.THEME, "dark")))
    return app


def apply_theme(app: QApplication, theme: str) -> str:
    """Fusion with a dark (default) or light palette; returns the theme applied."""
    theme = theme if theme in THEMES else "dark"
    fusion = QStyleFactory.create("Fusion")
    if fusion is not None:
        app.setStyle(IndicatorFrameStyle(fusion))
    app.setPalette(dark_palette() if theme == "dark" else app.style().standardPalette())
    app.setProperty("theme", theme)
    return theme


def current_theme(app: QApplication | None = None) -> str:
    app = app or QApplication.instance()
    value = app.property("theme") if app is not None else None
    return value if value in THEMES else "dark"


class IndicatorFrameStyle(QProxyStyle):
    """Fusion, with a visible frame around check boxes and radio buttons on a dark palette.

    Fusion draws that frame in Window darkened by 140 %, which on a dark palette is about the
    Base colour inside the box: an unchecked box (the tracks panel's on/off switch) disappears.
    The indicator is drawn with a lighter Window colour, so only its frame changes; item views
    draw their check boxes through this same primitive."""

    INDICATORS = (QStyle.PrimitiveElement.PE_IndicatorCheckBox, QStyle.PrimitiveElement.PE_IndicatorRadioButton)

    def drawPrimitive(self, element, option, painter, widget=None) -> None:
        if element in self.INDICATORS and option is not None:
            window = option.palette.color(QPalette.ColorRole.Window)
            if window.lightness() < 128:
                option = type(option)(option)
                text = option.palette.color(QPalette.ColorRole.Text)
                palette = QPalette(option.palette)
                palette.setColor(QPalette.ColorRole.Window, _mix(window, text, 0.55))
                option.palette = palette
        super().drawPrimitive(element, option, painter, widget)


def _mix(a: QColor, b: QColor, share_of_b: float) -> QColor:
    return QColor(*(round(x + (y - x) * share_of_b) for x, y in ((a.red(), b.red()), (a.green(), b.green()),
                                                                   (a.blue(), b.blue()))))


def dark_palette() -> QPalette:
    # Neutral greys like the colour pages of NLEs: video colours are judged against them.
    p = QPalette()
    window, base, alt, text = QColor(45, 45, 48), QColor(30, 30, 32), QColor(40, 40, 43), QColor(222, 222, 222)
    highlight = QColor(64, 128, 214)
    roles = {
        QPalette.ColorRole.Window: window, QPalette.ColorRole.WindowText: text,
        QPalette.ColorRole.Base: base, QPalette.ColorRole.AlternateBase: alt,
        QPalette.ColorRole.ToolTipBase: QColor(60, 60, 64), QPalette.ColorRole.ToolTipText: text,
        QPalette.ColorRole.PlaceholderText: QColor(140, 140, 140),
        QPalette.ColorRole.Text: text, QPalette.ColorRole.Button: QColor(55, 55, 59),
        QPalette.ColorRole.ButtonText: text, QPalette.ColorRole.BrightText: QColor(255, 90, 90),
        QPalette.ColorRole.Light: QColor(75, 75, 80), QPalette.ColorRole.Midlight: QColor(62, 62, 66),
        QPalette.ColorRole.Mid: QColor(38, 38, 40), QPalette.ColorRole.Dark: QColor(25, 25, 27),
        QPalette.ColorRole.Shadow: QColor(10, 10, 10),
        QPalette.ColorRole.Highlight: highlight, QPalette.ColorRole.HighlightedText: QColor(255, 255, 255),
        QPalette.ColorRole.Link: QColor(110, 170, 255), QPalette.ColorRole.LinkVisited: QColor(170, 140, 255),
    }
    for role, colour in roles.items():
        p.setColor(role, colour)
    disabled = QColor(120, 120, 120)
    for role in (QPalette.ColorRole.WindowText, QPalette.ColorRole.Text, QPalette.ColorRole.ButtonText,
                 QPalette.ColorRole.HighlightedText):
        p.setColor(QPalette.ColorGroup.Disabled, role, disabled)
    p.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Highlight, QColor(70, 70, 75))
    return p
