"""The main window: layout and wiring only.

Panels hold their own widgets; :mod:`deploy_studio.gui.model_loader`, :mod:`deploy_studio.gui.recipe_files` and
:mod:`deploy_studio.gui.run_controller` hold the actions; this file places them, builds the menus and
toolbar, and connects signals. The engine is imported by a worker right after the window
is shown; actions that need it wait for ``engine_ready``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QSize, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QDockWidget,
    QLabel,
    QMainWindow,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QStyle,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from deploy_studio.gui import theme
from deploy_studio.gui.document import Document
from deploy_studio.gui.job_runner import JobRunner
from deploy_studio.gui.model_loader import MODEL_SUFFIXES, ModelLoader
from deploy_studio.gui.panels.charts_panel import ChartsPanel
from deploy_studio.gui.panels.empty_state import EmptyState
from deploy_studio.gui.panels.log_panel import LogPanel
from deploy_studio.gui.panels.model_panel import ModelPanel
from deploy_studio.gui.panels.notes_banner import NotesBanner
from deploy_studio.gui.panels.numerics_panel import NumericsPanel
from deploy_studio.gui.panels.problems_panel import ProblemsPanel
from deploy_studio.gui.panels.profile_panel import ProfilePanel
from deploy_studio.gui.panels.samples_panel import SamplesPanel
from deploy_studio.gui.panels.sensitivity_panel import SensitivityPanel
from deploy_studio.gui.panels.variant_editor import VariantEditor
from deploy_studio.gui.panels.variants_panel import VariantsPanel
from deploy_studio.gui.recipe_files import RecipeFiles, settings
from deploy_studio.gui.run_controller import RunController


def demo_recipe() -> Path:
    """The bundled digits demo recipe (package data; opened as an untitled copy)."""
    from deploy_studio.core.fsutil import resource_path

    return resource_path("recipes", "demo.toml")


DEMO_RECIPE = demo_recipe()


class MainWindow(QMainWindow):
    """Deploy Studio's window.

    Signals
    -------
    engine_ready(object) : the engine was imported; carries :class:`deploy_studio.gui.engine_calls.EngineInfo`.
    """

    engine_ready = Signal(object)

    def __init__(self, dark: bool = False) -> None:
        super().__init__()
        self.setWindowTitle("Deploy Studio")
        self.resize(1600, 960)
        self.setAcceptDrops(True)
        self.doc = Document(self)
        from deploy_studio.core.worker import Worker

        self.worker = Worker()  # the window's one worker process: models, builds, predictions
        self.runner = JobRunner(4, self, self.worker)
        self.sample_runner = JobRunner(1, self, self.worker)  # predictions: one at a time
        self.info = None
        self.dark = dark
        self._pending: list[Callable[[], None]] = []

        self.problems = ProblemsPanel()
        self.log = LogPanel()
        self.model_panel = ModelPanel(self.doc)
        self.samples_panel = SamplesPanel(self.doc, self.sample_runner)
        self.variants_panel = VariantsPanel(self.doc)
        self.editor = VariantEditor(self.doc)
        self.sensitivity = SensitivityPanel(self.doc)
        self.numerics = NumericsPanel(self.doc)
        self.charts = ChartsPanel(self.doc)
        self.profile = ProfilePanel(self.doc)
        self.notes_banner = NotesBanner(self.doc)
        self.empty = EmptyState()
        self.loader = ModelLoader(self.doc, self.runner, self)
        self.files = RecipeFiles(self.doc, self.runner, self)
        self.run = RunController(self.doc, self.runner, self)

        self._build_central()
        self._build_docks()
        self._build_actions()
        self._build_menus()
        self._build_toolbar()
        self._build_statusbar()
        self._connect()
        self._update_title()
        self._update_actions()
        self.set_theme(dark)

    # --- layout ------------------------------------------------------------------------
    def _build_central(self) -> None:
        self.workspace = QSplitter(Qt.Orientation.Vertical)
        self.workspace.setObjectName("workspace")
        top = QWidget()
        top_lay = QVBoxLayout(top)
        top_lay.setContentsMargins(0, 0, 0, 0)
        top_lay.setSpacing(0)
        banner_row = QVBoxLayout()
        banner_row.setContentsMargins(8, 6, 8, 0)
        banner_row.addWidget(self.notes_banner)
        top_lay.addLayout(banner_row)
        top_lay.addWidget(self.variants_panel, 1)
        self.workspace.addWidget(top)
        self.view_tabs = QTabWidget()
        self.view_tabs.setObjectName("viewTabs")
        self.view_tabs.setDocumentMode(True)
        self.view_tabs.addTab(self.charts, "Charts")
        self.view_tabs.addTab(self.profile, "Profile")
        self.view_tabs.setTabToolTip(
            1, "where the selected variant's time and memory go, and how it scales with threads"
        )
        self.workspace.addWidget(self.view_tabs)
        self.workspace.setStretchFactor(0, 2)
        self.workspace.setStretchFactor(1, 5)
        self.workspace.setSizes([300, 520])
        self.workspace.setChildrenCollapsible(False)
        self.stack = QStackedWidget()
        self.stack.addWidget(self.empty)
        self.stack.addWidget(self.workspace)
        self.setCentralWidget(self.stack)

    def _dock(self, title: str, widget, area, name: str) -> QDockWidget:
        d = QDockWidget(title, self)
        d.setObjectName(name)
        d.setWidget(widget)
        d.setFeatures(
            QDockWidget.DockWidgetFeature.DockWidgetMovable
            | QDockWidget.DockWidgetFeature.DockWidgetClosable
            | QDockWidget.DockWidgetFeature.DockWidgetFloatable
        )
        self.addDockWidget(area, d)
        return d

    def _build_docks(self) -> None:
        left = Qt.DockWidgetArea.LeftDockWidgetArea
        self.model_dock = self._dock("Model", self.model_panel, left, "modelDock")
        self.samples_dock = self._dock("Samples", self.samples_panel, left, "samplesDock")
        self.tabifyDockWidget(self.model_dock, self.samples_dock)
        self.variant_side = QSplitter(
            Qt.Orientation.Vertical
        )  # the editor over its sensitivity table
        self.variant_side.addWidget(self.editor)
        self.variant_side.addWidget(self.sensitivity)
        self.variant_side.addWidget(self.numerics)
        self.variant_side.setStretchFactor(0, 3)
        self.variant_side.setStretchFactor(1, 2)
        self.variant_side.setStretchFactor(2, 2)
        self.variant_side.setChildrenCollapsible(False)
        self.editor_dock = self._dock(
            "Variant", self.variant_side, Qt.DockWidgetArea.RightDockWidgetArea, "variantDock"
        )
        self.bottom_tabs = QTabWidget()
        self.bottom_tabs.setDocumentMode(True)
        self.bottom_tabs.addTab(self.problems, "Problems")
        self.bottom_tabs.addTab(self.log, "Log")
        self.problems_dock = self._dock(
            "Problems", self.bottom_tabs, Qt.DockWidgetArea.BottomDockWidgetArea, "problemsDock"
        )
        self.problems_dock.setTitleBarWidget(QLabel(""))
        self.problems_dock.hide()  # shown when a problem arrives, or from the status bar / View menu
        for d in (self.model_dock, self.samples_dock, self.editor_dock):
            d.hide()  # the empty state stands alone; the docks appear with the first recipe

    def _act(
        self, text: str, slot, shortcut=None, icon=None, tip: str = "", name: str = ""
    ) -> QAction:
        a = QAction(text, self)
        if shortcut:
            a.setShortcut(shortcut)
        if icon is not None:
            a.setIcon(self.style().standardIcon(icon))
        if tip:
            a.setToolTip(tip)
            a.setStatusTip(tip)
        a.setObjectName(name or text)
        a.triggered.connect(lambda _=False: slot())
        return a

    def _build_actions(self) -> None:
        SP = QStyle.StandardPixmap
        self.new_action = self._act(
            "&New Recipe", self.files.new, QKeySequence.StandardKey.New, SP.SP_FileIcon, name="new"
        )
        self.open_recipe_action = self._act(
            "&Open Recipe…",
            self.files.open_dialog,
            QKeySequence.StandardKey.Open,
            SP.SP_DialogOpenButton,
            "open a .toml recipe",
            "openRecipe",
        )
        self.save_action = self._act(
            "&Save",
            self.files.save,
            QKeySequence.StandardKey.Save,
            SP.SP_DialogSaveButton,
            "save the recipe (.toml)",
            "save",
        )
        self.save_as_action = self._act(
            "Save &As…", self.files.save_as, QKeySequence.StandardKey.SaveAs, name="saveAs"
        )
        self.open_model_action = self._act(
            "Open &Model…",
            self.loader.open_dialog,
            "Ctrl+M",
            SP.SP_DirOpenIcon,
            "open a .pt/.pth/.ptl/.pt2 file or a .py model class",
            "openModel",
        )
        self.export_action = self._act(
            "&Export…",
            self._on_export,
            "Ctrl+E",
            SP.SP_DialogApplyButton,
            "export artifacts and Android / iOS / Web projects",
            "export",
        )
        self.quit_action = self._act(
            "&Quit", self.close, QKeySequence.StandardKey.Quit, name="quit"
        )
        self.run_action = self._act(
            "&Build && Measure",
            self._on_run,
            "Ctrl+R",
            SP.SP_MediaPlay,
            "build every included variant and measure size, latency and accuracy",
            "run",
        )
        self.cancel_action = self._act(
            "&Cancel", self.run.cancel, "Esc", SP.SP_MediaStop, "stop the run", "cancel"
        )

    def _build_menus(self) -> None:
        mb = self.menuBar()
        f = mb.addMenu("&File")
        f.addAction(self.new_action)
        f.addAction(self.open_recipe_action)
        self.recent_menu = f.addMenu("Open &Recent")
        f.addAction(self.save_action)
        f.addAction(self.save_as_action)
        f.addSeparator()
        f.addAction(self.open_model_action)
        self.builtin_menu = f.addMenu("&Built-in Model")
        f.addSeparator()
        f.addAction(self.export_action)
        f.addSeparator()
        f.addAction(self.quit_action)
        self._fill_builtin_menu()
        self._update_recent_menu()
        r = mb.addMenu("&Run")
        r.addAction(self.run_action)
        r.addAction(self.cancel_action)
        v = mb.addMenu("&View")
        tm = v.addMenu("&Theme")
        group = QActionGroup(self)
        self.light_action = tm.addAction("Light")
        self.dark_action = tm.addAction("Dark")
        for a, dark in ((self.light_action, False), (self.dark_action, True)):
            a.setCheckable(True)
            group.addAction(a)
            a.triggered.connect(lambda _=False, d=dark: self.set_theme(d))
        v.addSeparator()
        for d in (self.model_dock, self.samples_dock, self.editor_dock, self.problems_dock):
            v.addAction(d.toggleViewAction())
        h = mb.addMenu("&Help")
        h.addAction(self._act("&About Deploy Studio", self._on_about, name="about"))

    def _fill_builtin_menu(self) -> None:
        from deploy_studio.gui.engine_calls import (
            BUILTIN_MODELS,
            TORCHVISION_COMMON,
            TORCHVISION_TASKS,
            task_demos,
        )

        m = self.builtin_menu
        m.clear()
        m.setToolTipsVisible(True)
        for spec, label in BUILTIN_MODELS.items():
            a = m.addAction(label)
            a.setObjectName(spec)
            a.triggered.connect(lambda _=False, s=spec: self.open_model_spec({"source": s}))
        tv = m.addMenu("torchvision (random weights)")
        names = list(TORCHVISION_COMMON)
        for n in names:
            a = tv.addAction(n)
            a.triggered.connect(
                lambda _=False, n=n: self.open_model_spec({"source": f"torchvision:{n}"})
            )
        if self.info is not None and self.info.torchvision:
            more = tv.addMenu("All architectures")
            for n in self.info.torchvision:
                a = more.addAction(n)
                a.triggered.connect(
                    lambda _=False, n=n: self.open_model_spec({"source": f"torchvision:{n}"})
                )
        demos = task_demos()  # bundled recipes: opened as File ▸ Open Recipe opens them
        m.addSection("Demos for every task")
        for demo in demos:
            a = m.addAction(demo.label)
            a.setObjectName(f"demo:{demo.path.stem}")
            a.setToolTip(demo.about or str(demo.path.name))
            a.triggered.connect(lambda _=False, p=demo.path: self.open_recipe(str(p)))
        tasks = m.addMenu("torchvision segmentation / detection (random weights)")
        for n, task in TORCHVISION_TASKS.items():
            a = tasks.addAction(f"{n} ({task})")
            a.setObjectName(f"torchvision:{n}")
            a.triggered.connect(
                lambda _=False, n=n: self.open_model_spec({"source": f"torchvision:{n}"})
            )

    def _build_toolbar(self) -> None:
        tb = self.addToolBar("Main")
        tb.setObjectName("mainToolbar")
        tb.setMovable(False)
        tb.setIconSize(QSize(18, 18))
        tb.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        for a in (self.open_model_action, self.open_recipe_action, self.save_action):
            tb.addAction(a)
        tb.addSeparator()
        tb.addAction(self.run_action)
        tb.addAction(self.cancel_action)
        tb.addSeparator()
        tb.addAction(self.export_action)

    def _build_statusbar(self) -> None:
        sb = self.statusBar()
        self.status_label = QLabel("Starting the engine…")
        self.overall_bar = QProgressBar()
        self.overall_bar.setObjectName("overallProgress")
        self.overall_bar.setRange(0, 100)
        self.overall_bar.setFixedWidth(260)
        self.overall_bar.setVisible(False)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setObjectName("cancelButton")
        self.cancel_button.clicked.connect(self.run.cancel)
        self.cancel_button.setVisible(False)
        self.problems_button = QPushButton("No problems")
        self.problems_button.setObjectName("problemsButton")
        self.problems_button.setFlat(True)
        self.problems_button.setIcon(
            self.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxInformation)
        )
        self.problems_button.setToolTip("show or hide Problems and Log")
        self.problems_button.clicked.connect(
            lambda: self.problems_dock.setVisible(not self.problems_dock.isVisible())
        )
        sb.addWidget(self.status_label, 1)
        sb.addPermanentWidget(self.overall_bar)
        sb.addPermanentWidget(self.cancel_button)
        sb.addPermanentWidget(self.problems_button)

    def _connect(self) -> None:
        d = self.doc
        d.dirty_changed.connect(lambda _d: self._update_title())
        d.path_changed.connect(lambda _p: self._update_title())
        d.recipe_replaced.connect(self._on_recipe_replaced)
        d.variants_changed.connect(self._update_actions)
        d.gates_changed.connect(self._update_done_status)
        self.empty.open_model.connect(lambda: self.when_ready(self.loader.open_dialog))
        self.empty.open_recipe.connect(lambda: self.when_ready(self.files.open_dialog))
        self.empty.try_demo.connect(lambda: self.when_ready(self.try_demo))
        self.variants_panel.selected.connect(self._on_variant_selected)
        self.sensitivity.edited.connect(self._on_sensitivity_edited)
        self.numerics.edited.connect(self._on_sensitivity_edited)
        d.result_changed.connect(lambda _n: QTimer.singleShot(0, self._balance_variant_side))
        self.charts.variant_clicked.connect(self.variants_panel.select)
        self.loader.failed.connect(self.report_error)
        self.loader.busy.connect(self._on_busy)
        self.loader.status.connect(self.status_label.setText)
        d.model_changed.connect(self._update_presets)
        self.files.failed.connect(self.report_error)
        self.files.recent_changed.connect(self._update_recent_menu)
        self.files.opened.connect(self._on_recipe_opened)
        self.samples_panel.failed.connect(self.report_error)
        self.run.failed.connect(self.report_error)
        self.run.log.connect(self.log.append)
        self.run.overall.connect(self._on_overall)
        self.run.started.connect(self._on_run_started)
        self.run.finished.connect(self._on_run_finished)
        self.problems.count_changed.connect(self._on_problem_count)

    # --- engine start-up ---------------------------------------------------------------
    def start_engine(self) -> None:
        """Import the engine in a worker (called once the window is visible)."""
        from deploy_studio.gui import engine_calls

        self.runner.start(
            engine_calls.warm_up,
            on_result=self._on_engine_ready,
            on_progress=lambda e: self._on_busy(e.message and f"Starting the engine: {e.message}…"),
            on_error=lambda e, d: (self.log.append(d), self.report_error(e, "engine start")),
        )

    def _on_engine_ready(self, info) -> None:
        from deploy_studio.core.recipe_defaults import presets

        self.info = info
        self.editor.set_engine(info)
        self.variants_panel.set_presets(presets(), self._on_add_preset)
        self._fill_builtin_menu()
        self.empty.set_status("Ready.")
        self._on_busy("")
        self._update_actions()
        self.engine_ready.emit(info)
        pending, self._pending = self._pending, []
        for fn in pending:
            fn()

    def when_ready(self, fn: Callable[[], None]) -> None:
        """Call ``fn`` now if the engine is imported, else as soon as it is."""
        if self.info is not None:
            fn()
        else:
            self._pending.append(fn)
            self.empty.set_status("Starting the engine… (your choice will open in a moment)")

    # --- public entry points -----------------------------------------------------------
    def open_recipe(self, path: str, on_done: Callable[[bool], None] | None = None) -> None:
        """Open a recipe file (after the engine is ready)."""
        self.when_ready(lambda: self.files.open_path(path, on_done=on_done))

    def open_model_spec(self, spec: dict) -> None:
        """Load a model from a spec dict (``source``, optional ``weights``/``input_shape``/``trust``)."""
        full = {
            "source": spec["source"],
            "weights": spec.get("weights"),
            "input_shape": spec.get("input_shape"),
            "trust": bool(spec.get("trust")),
        }
        self.when_ready(lambda: self.loader.open_spec(full))  # a new recipe for it, after asking

    def open_model_path(self, path: str) -> None:
        """Open a model file (as File ▸ Open Model or a drop does)."""
        self.when_ready(lambda: self.loader.open_path(path))

    def try_demo(self) -> None:
        """Open the demo recipe and build & measure it."""
        self.files.open_path(str(DEMO_RECIPE), on_done=lambda ok: ok and self.start_run())

    def start_run(self, out_dir: str | None = None, templates: bool = False) -> bool:
        """Build & measure every included variant (``templates`` also renders the apps)."""
        return self.run.start(out_dir, templates)

    def report_error(self, error: BaseException, where: str = "", details: str = "") -> None:
        """Put an error in the Problems panel and show the panel (never a dialog)."""
        self.problems.add_error(error, where, details)
        if details:
            self.log.append(details)
        if not self.problems_dock.isVisible():
            self.problems_dock.show()
            self.resizeDocks([self.problems_dock], [150], Qt.Orientation.Vertical)
        self.bottom_tabs.setCurrentWidget(self.problems)

    def set_theme(self, dark: bool) -> None:
        """Switch between the light and the dark palette (charts follow)."""
        self.dark = dark
        app = QApplication.instance()
        if app is not None:
            theme.apply(app, dark)
        self.charts.apply_theme(dark)
        self.profile.apply_theme(dark)
        (self.dark_action if dark else self.light_action).setChecked(True)
        s = settings()
        s.setValue("theme", "dark" if dark else "light")

    def save_screenshot(self, path: str) -> bool:
        """Save the window as a PNG (works offscreen)."""
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        return self.grab().save(str(path))

    # --- handlers ----------------------------------------------------------------------
    def _on_add_preset(self, preset) -> None:
        from deploy_studio.core.recipe_defaults import make_variant

        if self.doc.recipe is None:
            return
        spec = self.doc.add_variant(make_variant(preset))
        self.variants_panel.select(spec.name)

    def _on_variant_selected(self, name: str) -> None:
        if name != self.editor.name:
            self.editor.show_variant(name)
        if name != self.sensitivity.name:
            self.sensitivity.show_variant(name)
        if name != self.numerics.name:
            self.numerics.show_variant(name)
        self.profile.show_variant(name)
        QTimer.singleShot(0, self._balance_variant_side)

    def _balance_variant_side(self) -> None:
        """Give a table that has just appeared under the editor (sensitivity, numerical
        debugger) the height it asks for, up to a quarter of the dock each; a user's own split
        is kept once every shown table has room."""
        panels = (self.sensitivity, self.numerics)
        sizes = self.variant_side.sizes()
        shown = [p.isVisibleTo(self.variant_side) for p in panels]
        if not any(on and h < 40 for on, h in zip(shown, sizes[1:], strict=True)):
            return
        total = sum(sizes)
        want = [
            min(p.sizeHint().height(), total // 4) if on else 0
            for p, on in zip(panels, shown, strict=True)
        ]
        self.variant_side.setSizes([total - sum(want), *want])

    def _on_sensitivity_edited(self, name: str) -> None:
        self.editor.show_variant(name)  # its keep_fp32 / sensitivity fields changed

    def _on_recipe_replaced(self) -> None:
        has = self.doc.recipe is not None
        if has and self.stack.currentWidget() is self.empty:
            for d in (self.model_dock, self.samples_dock, self.editor_dock):
                d.show()
            self.model_dock.raise_()
            QTimer.singleShot(0, self._size_docks)
        self.stack.setCurrentWidget(self.workspace if has else self.empty)
        self._update_actions()
        self._update_title()

    def _on_recipe_opened(self, recipe) -> None:
        copy = self.doc.copy_of
        self.log.append(
            f"opened a copy of {copy} (Save asks where to keep it)"
            if copy
            else f"opened {recipe.path}"
        )
        self.loader.load(recipe.model.to_dict(), into=recipe)  # the recipe's own model

    def _on_run(self) -> None:
        self.start_run()

    def _on_run_started(self, out: str) -> None:
        self.overall_bar.setVisible(True)
        self.overall_bar.setValue(0)
        self.cancel_button.setVisible(True)
        self.cancel_button.setEnabled(True)
        self.status_label.setText("Building and measuring…")
        self._update_actions()

    def _on_overall(self, fraction: float, message: str) -> None:
        if fraction >= 0:
            self.overall_bar.setValue(int(fraction * 100))
        if message:
            self.status_label.setText(message[:1].upper() + message[1:])
        if message == "Cancelling…":
            self.cancel_button.setEnabled(False)

    def _on_run_finished(self, report) -> None:
        self.overall_bar.setVisible(False)
        self.cancel_button.setVisible(False)
        if report is not None:
            self.samples_dock.raise_()  # predictions per variant are meaningful now
            self._update_done_status()
        elif self.run.cancelled:
            self.status_label.setText("Cancelled: nothing half-written was left behind.")
        else:
            self.status_label.setText("The run failed: see Problems.")
        self._update_actions()

    def _update_done_status(self) -> None:
        """The status line after a run: variants built and failed, gates, where the report is."""
        report = self.doc.report
        if report is None or self.run.running:
            return
        from deploy_studio.core.gates import failed_variants

        rows = report.variants
        bad = sum(1 for r in rows if not r.ok)
        reused = sum(1 for r in rows if r.cached and r.ok)
        text = (
            f"Done: {len(rows) - bad} variant(s) built"
            + (f" ({reused} reused, unchanged)" if reused else "")
            + (f", {bad} failed" if bad else "")
        )
        gates = self.doc.gate_results
        if gates:
            judged = {g.variant for g in gates}
            failed = sorted(failed_variants(gates))
            unsure = sorted({g.variant for g in gates if g.status == "uncertain"} - set(failed))
            parts = [f"{len(judged) - len(failed) - len(unsure)} passed"]
            if failed:
                parts.append(f"{len(failed)} failed ({', '.join(failed)})")
            if unsure:
                parts.append(f"{len(unsure)} uncertain ({', '.join(unsure)})")
            text += (
                f" · gates: {', '.join(parts)}"
                if failed or unsure
                else f" · gates: all {len(judged)} passed"
            )
        self.status_label.setText(text + f" · report in {self.doc.out_dir}")

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if not getattr(self, "_sized", False):  # dock sizes only stick once the window has a size
            self._sized = True
            QTimer.singleShot(0, self._size_docks)

    def _size_docks(self) -> None:
        self.resizeDocks([self.model_dock, self.editor_dock], [345, 285], Qt.Orientation.Horizontal)

    def _on_busy(self, text: str) -> None:
        if text:
            self.status_label.setText(text)
            self.empty.set_status(text)
        elif not self.run.running:
            self.status_label.setText("Ready." if self.info else "Starting the engine…")

    def _on_problem_count(self, n: int) -> None:
        self.bottom_tabs.setTabText(0, f"Problems ({n})" if n else "Problems")
        self.problems_button.setText(f"{n} problem{'s' if n != 1 else ''}" if n else "No problems")
        icon = (
            QStyle.StandardPixmap.SP_MessageBoxWarning
            if n
            else QStyle.StandardPixmap.SP_MessageBoxInformation
        )
        self.problems_button.setIcon(self.style().standardIcon(icon))

    def _on_export(self) -> None:
        from deploy_studio.gui.dialogs.export_dialog import ExportDialog
        from deploy_studio.gui.run_controller import default_out_dir

        if self.doc.recipe is None or self.info is None:
            return
        base = default_out_dir(self.doc.recipe.name)
        default = Path.home() / "DeployStudio" / f"{base.name}-export"
        dlg = ExportDialog(self.doc, self.info, self.runner, str(default), self)
        dlg.failed.connect(self.report_error)
        self.export_dialog = dlg
        dlg.open()

    def _on_about(self) -> None:
        QMessageBox.about(
            self, "Deploy Studio", "<b>Deploy Studio</b><br>Take a trained PyTorch model to phones."
        )

    def _update_presets(self) -> None:
        """The Add-variant presets; the distillation student fits the current model."""
        from deploy_studio.core.recipe_defaults import presets, student_for

        if self.info is not None:
            self.variants_panel.set_presets(
                presets(student_for(self.doc.model_summary)), self._on_add_preset
            )

    def _update_title(self) -> None:
        r = self.doc.recipe
        name = (self.doc.path.name if self.doc.path else (r.name if r else "")) if r else ""
        if r is not None and self.doc.path is None and self.doc.copy_of is not None:
            name = f"{r.name} (copy)"
        self.setWindowTitle(
            f"{name}{'*' if self.doc.dirty else ''} — Deploy Studio" if name else "Deploy Studio"
        )

    def _update_actions(self) -> None:
        ready = self.info is not None
        has = self.doc.recipe is not None
        running = self.run.running
        for a in (self.open_model_action, self.open_recipe_action, self.builtin_menu.menuAction()):
            a.setEnabled(ready)
        self.new_action.setEnabled(ready and has)
        self.save_action.setEnabled(has)
        self.save_as_action.setEnabled(has)
        self.run_action.setEnabled(ready and has and not running)
        self.cancel_action.setEnabled(running)
        self.export_action.setEnabled(ready and has and not running)
        self.variants_panel.add_button.setEnabled(ready and has)

    def _update_recent_menu(self) -> None:
        self.recent_menu.clear()
        items = self.files.recent()
        for p in items:
            a = self.recent_menu.addAction(Path(p).name)
            a.setToolTip(p)
            a.triggered.connect(
                lambda _=False, p=p: self.when_ready(lambda: self.files.open_path(p))
            )
        self.recent_menu.setEnabled(bool(items))

    # --- drag and drop / close ---------------------------------------------------------
    def dragEnterEvent(self, event) -> None:
        urls = event.mimeData().urls()
        if urls and all(u.isLocalFile() for u in urls):
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:
        for url in event.mimeData().urls()[:1]:
            self.open_dropped(url.toLocalFile())
        event.acceptProposedAction()

    def open_dropped(self, path: str) -> None:
        """A file dropped on the window: a recipe or a model."""
        from deploy_studio.core.errors import StudioError

        p = Path(path)
        if p.suffix.lower() == ".toml":
            self.when_ready(lambda: self.files.open_path(str(p)))
        elif p.suffix.lower() in MODEL_SUFFIXES or p.is_file():
            self.open_model_path(str(p))
        else:
            self.report_error(
                StudioError(
                    f"{p.name} is not a model or a recipe",
                    "drop a .pt/.pth/.ptl/.pt2/.py model or a .toml recipe",
                ),
                "drop",
            )

    def closeEvent(self, event) -> None:
        if not self.files.confirm_discard():
            event.ignore()
            return
        self.run.cancel()
        self.runner.cancel_all()
        self.sample_runner.cancel_all()
        QTimer.singleShot(0, lambda: None)
        self.runner.wait(3000)
        self.sample_runner.wait(3000)
        self.worker.close()
        event.accept()
