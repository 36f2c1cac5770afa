"""Opening models: Built-in menu, bad files -> Problems, trust prompt, input-shape prompt."""

from __future__ import annotations

import pytest
import torch

from tests.gui.conftest import wait_until


def _builtin_action(window, spec: str):
    return next(a for a in window.builtin_menu.actions() if a.objectName() == spec)


def test_builtin_model_shows_summary_and_layers(window):
    _builtin_action(window, "builtin:digits-cnn-small").trigger()
    wait_until(lambda: window.doc.model_summary is not None, 120, "the model summary")
    s = window.doc.model_summary
    panel = window.model_panel
    assert panel.fields["Parameters"].text() == f"{s['params']:,}"
    assert panel.fields["Input"].text() == "1 × 1 × 28 × 28"
    assert panel.fields["Output"].text() == "1 × 10"
    assert panel.layers.rowCount() == len(s["layers"]) > 0
    assert panel.layers.item(0, 0).text() == s["layers"][0]["name"]
    # a new recipe was made around the model: the workspace replaces the empty state
    assert window.stack.currentWidget() is window.workspace
    assert window.doc.recipe.model.source == "builtin:digits-cnn-small"
    assert [v.name for v in window.doc.variants] == [
        "fp32-eager",
        "fp32-pte",
        "int8-pte",
    ]  # an nn.Module
    assert window.problems.rows() == []


@pytest.mark.slow
def test_builtin_digits_demo_model_trains_and_loads(window):
    _builtin_action(window, "builtin:digits-cnn").trigger()
    wait_until(lambda: window.doc.model_summary is not None, 300, "the digits demo model")
    assert window.doc.model_summary["params"] == 2_770_634


def test_bad_file_goes_to_problems_without_crashing(window, tmp_path):
    bad = tmp_path / "broken.pt"
    bad.write_bytes(b"this is not a model at all")
    window.open_model_path(str(bad))
    wait_until(lambda: window.problems.rows(), 120, "a Problems row")
    message, hint, where = window.problems.rows()[0]
    assert "broken.pt" in message and "not a PyTorch archive" in message
    assert hint  # what to try
    assert "broken.pt" in where
    assert window.bottom_tabs.currentWidget() is window.problems
    assert "could not load" in window.model_panel.status.text().lower()


def test_unknown_suffix_and_missing_file_are_problems_too(window, tmp_path):
    other = tmp_path / "weights.bin"
    other.write_bytes(b"\0" * 10)
    window.open_model_path(str(other))
    wait_until(lambda: len(window.problems.rows()) >= 1, 120, "a Problems row")
    window.open_model_path(str(tmp_path / "missing.pt"))
    wait_until(lambda: len(window.problems.rows()) >= 2, 120, "a second Problems row")
    messages = [r[0] for r in window.problems.rows()]
    assert any("does not exist" in m for m in messages)
    assert any("weights.bin" in m for m in messages)


def _pickled_module(tmp_path):
    module = torch.nn.Sequential(
        torch.nn.Conv2d(1, 4, 3, stride=2),
        torch.nn.ReLU(),
        torch.nn.Flatten(),
        torch.nn.Linear(4 * 13 * 13, 10),
    )
    path = tmp_path / "whole.pt"
    torch.save(module, path)
    return path


def test_pickled_module_is_refused_unless_trusted(window, tmp_path):
    path = _pickled_module(tmp_path)
    asked = []
    window.loader.ask_trust = lambda source, message: asked.append(source) or False
    window.open_model_path(str(path))
    wait_until(lambda: window.problems.rows(), 120, "the refusal in Problems")
    assert asked == [str(path)]
    assert "pickled whole module" in window.problems.rows()[0][0]
    assert window.doc.model_summary is None


def test_trusted_pickle_loads_after_the_warning(window, tmp_path):
    path = _pickled_module(tmp_path)
    window.loader.ask_trust = lambda source, message: True
    window.loader.ask_shape = lambda source, classes, shape: (None, [1, 1, 28, 28], None)
    window.open_model_path(str(path))
    wait_until(
        lambda: window.doc.model_summary is not None or window.problems.rows(), 120, "the model"
    )
    assert window.problems.rows() == []
    assert window.doc.recipe.model.trust is True
    assert window.doc.model_summary["output_shape"] == [1, 10]


def test_torchscript_archive_asks_for_the_input_shape(window, tmp_path):
    from tests.support.models import TinyNet

    traced = torch.jit.trace(TinyNet().eval(), torch.randn(1, 1, 28, 28))
    path = tmp_path / "scripted.pt"
    traced.save(str(path))
    asked = []
    window.loader.ask_shape = lambda source, classes, shape: (
        asked.append(source) or (None, [1, 1, 28, 28], None)
    )
    window.open_model_path(str(path))
    wait_until(
        lambda: window.doc.model_summary is not None or window.problems.rows(), 120, "the model"
    )
    assert window.problems.rows() == []
    assert asked == [str(path)]
    assert window.doc.model_summary["input_shape"] == [1, 1, 28, 28]
    assert window.doc.model_summary["kind"] == "torchscript"


def test_python_file_asks_for_class_and_shape(window, tiny_model):
    seen = []

    def ask(source, classes, shape):
        seen.append(classes)
        return "TinyNet", [1, 1, 28, 28], None

    window.loader.ask_shape = ask
    window.open_model_path(str(tiny_model))
    wait_until(
        lambda: window.doc.model_summary is not None or window.problems.rows(), 120, "the model"
    )
    assert seen == [["TinyNet"]]
    assert window.doc.recipe.model.source == f"{tiny_model}:TinyNet"


def test_drop_of_unknown_file_is_a_problem(window, tmp_path):
    window.open_dropped(str(tmp_path / "notes.txt"))
    assert "not a model or a recipe" in window.problems.rows()[0][0]


def test_uncaught_exception_goes_to_problems(window):
    import sys

    from deploy_studio.gui.app import install_excepthook

    old = sys.excepthook
    try:
        install_excepthook(window)
        try:
            raise ValueError("boom in a slot")
        except ValueError:
            sys.excepthook(*sys.exc_info())
        wait_until(lambda: window.problems.rows(), 120, "the internal error row")
        assert "Internal error: ValueError: boom in a slot" in window.problems.rows()[0][0]
    finally:
        sys.excepthook = old
