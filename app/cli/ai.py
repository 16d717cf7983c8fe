"""flask ai train / eval: the local engine's model and its figures.

`train` fits the intent and sentiment classifiers on the corpus's training split and writes them to the instance
folder, stamped with the corpus hash (the engine retrains by itself when the corpus changes; this makes that
happen now, before the first message waits for it). `eval` reads a labeled JSONL file, or the corpus's held-out
split, and prints the figures (see app/services/ai/evaluate.py)."""
from __future__ import annotations

import json
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from app.services.ai import corpus
from app.services.ai.corpus import CorpusError
from app.services.ai.evaluate import evaluate, format_text

ai_cli = AppGroup("ai", help="Train and evaluate the AI assistant's local engine.")

ENGINES = ("local",)


def _corpus_dir():
    """The repository corpus unless AI_CORPUS_DIR names another directory of <intent>.jsonl files."""
    return current_app.config.get("AI_CORPUS_DIR")


@ai_cli.command("train")
def train_command():
    """Train the local engine on the corpus (its training split) and store the model in the instance folder."""
    from app.services.ai.model_store import model_path, save, train  # scikit-learn loads only when needed

    try:
        trained = train(_corpus_dir())
    except CorpusError as exc:
        raise click.ClickException(f"the corpus has errors; nothing was trained.\n{exc}") from None
    except ValueError as exc:  # too few examples to fit on
        raise click.ClickException(f"nothing was trained: {exc}") from None
    path = model_path(current_app.instance_path)
    save(trained, path)
    current_app.extensions.pop("ai_local_engine", None)  # the next read loads the new file
    click.echo(f"Trained on {trained.n_train} examples ({trained.n_heldout} held out) in {trained.seconds:.1f} s.")
    click.echo(f"Corpus {trained.corpus_hash[:12]}, model {path}")


@ai_cli.command("eval")
@click.argument("file", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--engine", "engine_name", type=click.Choice(ENGINES), default="local", show_default=True,
              help="Only the local engine so far.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of the table.")
@click.option("--split", type=click.Choice(["heldout"]), default=None,
              help="Evaluate the repository corpus's held-out split instead of FILE.")
def eval_command(file, engine_name, as_json, split):
    """Figures of ENGINE on FILE.jsonl (lines {"text", "intent", "sentiment", "lang", "must_escalate"})."""
    if (file is None) == (split is None):
        raise click.UsageError("give FILE.jsonl or --split heldout (one of them)")
    try:
        if split:
            examples = corpus.split(corpus.load(_corpus_dir()))[1]
        else:
            if not file.exists():
                raise click.ClickException(f"{file}: no such file")
            examples = corpus.read_file(file)
    except CorpusError as exc:
        raise click.ClickException(str(exc)) from None
    if not examples:
        raise click.ClickException("no examples to evaluate")
    from app.services.ai.local import engine_for

    engine = engine_for(current_app)
    report = evaluate(engine, examples)
    if engine.store.trained_here:
        click.echo(f"The stored model was missing or stale: trained it first "
                   f"({engine.store.get().seconds:.1f} s).", err=True)
    if as_json:
        click.echo(json.dumps(report.as_json(), sort_keys=False))
    else:
        if split:
            click.echo(f"Held-out split of the corpus ({corpus.HELDOUT_PERCENT}%, never trained on)")
        click.echo(format_text(report))
