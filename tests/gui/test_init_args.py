"""A model class that needs constructor arguments: the window asks for them (as JSON) and keeps
them in the recipe as ``[model] init_args``; cancelled, the error names them in Problems."""

from __future__ import annotations

import tomllib

import pytest

from tests.gui.conftest import wait_until


@pytest.fixture()
def configurable(tmp_path):
    from tests.support.models import write_models

    return write_models(tmp_path / "configurable.py", "Configurable")


def _open(window, path, answers: list, asked: list) -> None:
    window.loader.ask_shape = lambda source, classes, shape: ("Configurable", [1, 1, 28, 28], None)

    def ask(source, error, current):
        asked.append((source, error.missing, error.signature, current))
        return answers.pop(0) if answers else None

    window.loader.ask_init_args = ask
    window.open_model_path(str(path))
    wait_until(
        lambda: window.doc.model_summary is not None or window.problems.rows(), 120, "the model"
    )


def test_the_window_asks_for_constructor_arguments(window, configurable):
    asked: list = []
    _open(window, configurable, [{"num_class": 5}, {"num_classes": 5}], asked)
    assert window.problems.rows() == []
    assert window.doc.model_summary["output_shape"] == [1, 5]
    assert window.doc.recipe.model.init_args == {"num_classes": 5}
    assert asked[0] == (
        f"{configurable}:Configurable",
        ["num_classes"],
        "Configurable(num_classes: int, width: int = 4)",
        None,
    )
    assert asked[1][3] == {"num_class": 5}  # a wrong name asks again, with what was given
    saved = tomllib.loads(window.doc.recipe.to_toml())
    assert saved["model"]["init_args"] == {"num_classes": 5}


def test_cancelled_the_problem_names_the_arguments(window, configurable):
    _open(window, configurable, [], [])
    message = window.problems.rows()[0][0]
    assert "num_classes" in message and window.doc.model_summary is None


def test_the_dialog_reads_json(qtbot):
    from deploy_studio.gui.dialogs.init_args_dialog import InitArgsDialog

    dlg = InitArgsDialog("net.py:Net", "Net needs num_classes", "Net(num_classes)", ["num_classes"])
    qtbot.addWidget(dlg)
    assert dlg.edit.text() == '{"num_classes": null}'
    dlg._on_accept()
    assert "num_classes" in dlg.error.text() and dlg.result() == 0
    dlg.edit.setText("{num_classes: 5}")
    dlg._on_accept()
    assert "not JSON" in dlg.error.text()
    dlg.edit.setText('{"num_classes": 5}')
    dlg._on_accept()
    assert dlg.result() == 1 and dlg.args() == {"num_classes": 5}
