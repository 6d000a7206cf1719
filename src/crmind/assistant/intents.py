"""What a customer's message asks for: an intent of the set, or out of scope.

**Model.** A linear SVM (one against the rest) on word and character n-grams of English and
Chinese, optionally with a multilingual sentence embedding beside them
(:mod:`crmind.assistant.intent_features`); with the embedding, the scores of the message's
nearest training messages are added to the SVM's (:mod:`crmind.assistant.intent_neighbours`,
with a weight chosen by cross-validation). Linear models on n-grams are the strong classic
baseline of intent detection (Larson et al. 2019 report an SVM at 91 % in-scope accuracy on
CLINC150); they train in seconds and read a message in well under a millisecond.

**Fine-tuned.** With ``finetune`` (the ``finetune`` extra, torch), E5's top layers are also
trained on the messages (:mod:`crmind.text.e5_finetune`), all but a stratified tenth
held back, and their reading joins the SVM's as a weighted geometric mean chosen on that tenth
(:mod:`crmind.assistant.intent_mixing`). On CLINC150 (docs/evaluation.md) it read right a fifth
of the validation messages the SVM got wrong; on test, in-scope accuracy went 94.71 -> 95.04 %
and out-of-scope recall 77.6 -> 82.8 %, for a second pass through E5 per message (tens of
milliseconds on two cores).

**Confidence.** The SVM's scores become probabilities by temperature scaling, fitted on the
model's out-of-fold scores on its own training data (``folds``-fold cross-validation;
:mod:`crmind.assistant.intent_calibration`). ``confidence`` is the probability of the best
intent.

**Out of scope.** Training texts labelled :data:`OUT_OF_SCOPE` (messages no intent covers) are
learnt as one more class when ``oos_class`` (Larson et al.'s "oos-train"): a message read as
that class is refused. On top, a message whose best intent's probability is under
``threshold_`` is refused ("oos-threshold"): the assistant says it did not understand instead
of guessing. The threshold applies to the message's in-scope score, the summed probability of
its ``scope_top_`` best intents (:func:`~crmind.assistant.intent_calibration.in_scope_score`):
1, 2 or 3, the one whose threshold, chosen as below, refuses the most held-out out-of-scope
messages (the fewer intents on a tie; 1, the best intent's probability, when the held-out data
hold no out-of-scope message). The threshold and ``scope_top_`` are, in order of
precedence: the ``threshold`` hyperparameter; the
one :meth:`IntentClassifier.calibrate` chose on held-out messages (e.g. CLINC150's validation
split); else the one :meth:`IntentClassifier.fit` chose on its out-of-fold probabilities. Both
choose the highest threshold that refuses at most ``max_in_scope_loss`` (one point by default)
of the held-out in-scope messages that would have been read right
(:func:`~crmind.assistant.intent_calibration.budget_threshold`).

:func:`default_classifier` is the model of the shipped retail intent set (or the one
``crmind intents train`` saved in the data directory), trained once per process.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self

import numpy as np
import numpy.typing as npt
from scipy.sparse import csr_matrix
from scipy.special import log_softmax
from sklearn.model_selection import StratifiedKFold
from sklearn.svm import LinearSVC

from crmind.assistant.intent_calibration import (
    TOPS,
    budget_threshold,
    fit_temperature,
    in_scope_score,
    probabilities,
)
from crmind.assistant.intent_features import IntentFeatures
from crmind.assistant.intent_mixing import Mixture, choose_mixture
from crmind.assistant.intent_neighbours import NeighbourScores, choose_scale
from crmind.assistant.intents_spec import (
    OUT_OF_SCOPE,
    IntentDefinition,
    IntentSpec,
    load_intent_spec,
)
from crmind.errors import ConfigurationError, ModelDataError
from crmind.estimator import Estimator
from crmind.text.embeddings import sentence_vectors
from crmind.text.held_back import MIN_HELD_BACK_CLASS, held_back_tenth

if TYPE_CHECKING:  # torch is imported only when a model is fine-tuned (the finetune extra)
    from crmind.text.e5_finetune import FineTunedE5

__all__ = [
    "OUT_OF_SCOPE",
    "IntentClassifier",
    "IntentDefinition",
    "IntentPrediction",
    "IntentSpec",
    "default_classifier",
    "load_intent_spec",
    "trained_model_path",
]

logger = logging.getLogger(__name__)

Floats = npt.NDArray[np.float64]

ALTERNATIVES = 3
TRAINED_MODEL = Path("models") / "intents.pkl"
"""Where ``crmind intents train`` saves a model, under the data directory."""


@dataclass(frozen=True)
class IntentPrediction:
    """What one message asks for.

    ``intent`` is an intent name, or :data:`OUT_OF_SCOPE` when the model is not sure enough;
    ``confidence`` is the calibrated probability of the best intent (also when refused);
    ``alternatives`` are the next best intents with their probabilities (when refused: the
    best ones, the best first), up to three.
    """

    intent: str
    confidence: float
    in_scope: bool
    alternatives: tuple[tuple[str, float], ...]


class IntentClassifier(Estimator):
    """Intent classifier with out-of-scope refusal (see the module docstring).

    Hyperparameters: ``C`` of the SVM (see :attr:`penalty`); ``char_ngrams``, the lengths of
    character n-grams; ``chinese_words``, jieba's words beside the characters; ``embeddings``
    and ``embedding_weight`` (:mod:`~crmind.assistant.intent_features`); ``finetune``, also
    read with fine-tuned E5 (see the module docstring); ``oos_class``, learn
    out-of-scope examples as a class; ``threshold``, a fixed threshold instead of a chosen
    one; ``scope_top``, the number of best intents whose summed probability is the in-scope
    score the threshold applies to (``None``: chosen with the threshold); ``max_in_scope_loss``,
    the in-scope accuracy the chosen threshold may cost; ``folds`` of the cross-validation that
    calibrates; ``random_state``.

    Learned attributes: ``classes_`` (intent names), ``neighbour_scale_`` (the weight of the
    nearest neighbours' scores; 0 without embeddings), ``temperature_``, ``scope_top_``,
    ``threshold_``, ``threshold_source_`` (``"fixed"``, ``"cross-validation"`` or
    ``"held-out data"``), ``oos_class_`` (whether out-of-scope examples were learnt as a class),
    ``n_features_``, ``calibration_`` (accuracy figures of the data the threshold was chosen on),
    ``mixture_`` (with ``finetune``: how the fine-tuned network's view joins the SVM's, else
    ``None``). With ``finetune`` the threshold :meth:`fit` chooses rests on the held-back tenth
    alone (the network has seen the rest): :meth:`calibrate` on held-out messages is better.
    """

    def __init__(
        self,
        *,
        C: float | None = None,  # noqa: N803 - scikit-learn's name
        char_ngrams: tuple[int, int] = (1, 5),
        chinese_words: bool = True,
        embeddings: bool = False,
        embedding_weight: float = 3.0,
        finetune: bool = False,
        oos_class: bool = True,
        threshold: float | None = None,
        scope_top: int | None = None,
        max_in_scope_loss: float = 0.01,
        folds: int = 5,
        random_state: int = 0,
    ) -> None:
        self.C = C
        self.char_ngrams = char_ngrams
        self.chinese_words = chinese_words
        self.embeddings = embeddings
        self.embedding_weight = embedding_weight
        self.finetune = finetune
        self.oos_class = oos_class
        self.threshold = threshold
        self.scope_top = scope_top
        self.max_in_scope_loss = max_in_scope_loss
        self.folds = folds
        self.random_state = random_state

    def fit(self, texts: Sequence[str], labels: Sequence[str]) -> Self:
        """Learn the intents of ``labels`` (texts labelled :data:`OUT_OF_SCOPE`: see the module
        docstring), the temperature and the threshold."""
        self._check_parameters()
        if len(texts) != len(labels):
            raise ModelDataError(f"{len(texts)} texts but {len(labels)} labels")
        names = np.array([str(label) for label in labels], dtype=object)
        counts = Counter(name for name in names if name != OUT_OF_SCOPE)
        if len(counts) < 2:
            raise ModelDataError(
                f"an intent classifier needs at least 2 intents, found {sorted(counts)}"
            )
        rare = sorted(name for name, n in counts.items() if n < 2)
        if rare:
            raise ModelDataError(f"each intent needs at least 2 examples; only one of {rare}")
        scope = names != OUT_OF_SCOPE
        n_oos = int((~scope).sum())
        self.oos_class_ = bool(self.oos_class and n_oos >= 2)
        self.classes_: list[str] = sorted(counts)
        self._labels = self.classes_ + ([OUT_OF_SCOPE] if self.oos_class_ else [])
        learnt = np.ones(len(names), dtype=bool) if self.oos_class_ else scope
        self._features = IntentFeatures(
            char_ngrams=self.char_ngrams,
            chinese_words=self.chinese_words,
            embedding_weight=self.embedding_weight if self.embeddings else 0.0,
        )
        matrix = self._features.fit_transform(texts)
        column = {label: i for i, label in enumerate(self._labels)}
        target = np.array([column[name] for name in names[learnt]], dtype=np.intp)
        smallest = min([*counts.values(), *([n_oos] if self.oos_class_ else [])])
        vectors = sentence_vectors(texts) if self.embeddings else np.zeros((len(names), 0))
        (svm_oof, near_oof), (svm_other, near_other) = self._out_of_fold(
            (matrix[np.flatnonzero(learnt)], vectors[learnt]),
            target,
            (matrix[np.flatnonzero(~learnt)], vectors[~learnt]),
            smallest,
        )
        self._svm = self._new_svm().fit(matrix[np.flatnonzero(learnt)], target)
        self._neighbours: NeighbourScores | None = None
        self.neighbour_scale_ = 0.0
        if self.embeddings:
            self._neighbours = NeighbourScores().fit(vectors[learnt], target, len(self._labels))
            self.neighbour_scale_ = choose_scale(svm_oof, near_oof, target)
        oof_scores = svm_oof + self.neighbour_scale_ * near_oof
        other_scores = svm_other + self.neighbour_scale_ * near_other
        self.temperature_ = fit_temperature(oof_scores, target)
        self.n_features_ = matrix.shape[1]
        # held-out view of every training text: out-of-fold, or by a fold's model when unlearnt
        held_out = np.zeros((len(names), len(self._labels)))
        held_out[learnt] = probabilities(oof_scores, self.temperature_)
        held_out[~learnt] = probabilities(other_scores, self.temperature_)
        viewed = np.ones(len(names), dtype=bool)
        self._network: FineTunedE5 | None = None
        self.mixture_: Mixture | None = None
        if self.finetune:
            held_out, viewed = self._fit_network(
                np.array(texts, dtype=object), learnt, target, oof_scores, other_scores
            )
        self.threshold_, self.scope_top_ = 0.0, 1
        self._choose_scope(held_out[viewed], names[viewed], "cross-validation")
        logger.info(
            "intent classifier: %d intents, %d texts (%d out of scope), %d features, "
            "temperature %.3f, threshold %.3f of the %d best intents' probability (%s)",
            len(self.classes_), len(names), n_oos, self.n_features_, self.temperature_,
            self.threshold_, self.scope_top_, self.threshold_source_,
        )  # fmt: skip
        return self

    def calibrate(self, texts: Sequence[str], labels: Sequence[str]) -> Self:
        """Choose the threshold on held-out labelled messages (intents of the model; those
        labelled :data:`OUT_OF_SCOPE`, if any, only add their recall to ``calibration_``).
        A fixed ``threshold`` hyperparameter still wins."""
        self._check_fitted("classes_")
        names = np.array([str(label) for label in labels], dtype=object)
        if len(names) != len(texts):
            raise ModelDataError(f"{len(texts)} texts but {len(names)} labels")
        unknown = sorted(set(names) - {*self.classes_, OUT_OF_SCOPE})
        if unknown:
            raise ModelDataError(f"held-out labels the model does not know: {unknown[:5]}")
        if not (names != OUT_OF_SCOPE).any():
            raise ModelDataError("calibrating the threshold needs held-out in-scope messages")
        self._choose_scope(self._probabilities(texts), names, "held-out data")
        return self

    def predict_proba(self, texts: Sequence[str]) -> npt.NDArray[np.float64]:
        """Calibrated probabilities, one column per intent of ``classes_`` (they sum to one
        minus the probability of out of scope when ``oos_class_``)."""
        return self._probabilities(texts)[:, : len(self.classes_)]

    def predict(self, texts: Sequence[str]) -> list[IntentPrediction]:
        """One prediction per text (see :class:`IntentPrediction`)."""
        everything = self._probabilities(texts)
        probs = everything[:, : len(self.classes_)]
        refused = self._refused(everything)
        order = np.argsort(-probs, axis=1, kind="stable")[:, : ALTERNATIVES + 1]
        predictions = []
        for row, ranked, no in zip(probs, order, refused.tolist(), strict=True):
            shown = ranked[:ALTERNATIVES] if no else ranked[1:]
            predictions.append(
                IntentPrediction(
                    intent=OUT_OF_SCOPE if no else self.classes_[ranked[0]],
                    confidence=round(float(row[ranked[0]]), 6),
                    in_scope=not no,
                    alternatives=tuple((self.classes_[i], round(float(row[i]), 6)) for i in shown),
                )
            )
        return predictions

    def predict_one(self, text: str) -> IntentPrediction:
        """The prediction of one message."""
        return self.predict([text])[0]

    def _probabilities(self, texts: Sequence[str]) -> npt.NDArray[np.float64]:
        """Probabilities of every learnt label (the intents, then out of scope if learnt). A
        message with no feature the model knows gets the same probability for every intent
        (and none for out of scope): nothing in it speaks for one."""
        self._check_fitted("classes_")
        if not len(texts):
            return np.zeros((0, len(self._labels)))
        matrix = self._features.transform(texts)
        scores = _decision(self._svm, matrix)
        neighbours = getattr(self, "_neighbours", None)  # None in models saved before them
        if neighbours is not None and self.neighbour_scale_:
            scores += self.neighbour_scale_ * neighbours.scores(sentence_vectors(texts))
        result = probabilities(scores, self.temperature_)
        network, mixture = getattr(self, "_network", None), getattr(self, "mixture_", None)
        if network is not None and mixture is not None:
            svm = log_softmax(scores / self.temperature_, axis=1)
            result = mixture.probabilities(svm, network.logits(list(texts)))
        unknown = np.diff(matrix.indptr) == 0
        result[unknown] = 0.0
        result[np.ix_(unknown, np.arange(len(self.classes_)))] = 1 / len(self.classes_)
        return result

    def _fit_network(
        self,
        texts: npt.NDArray[np.object_],
        learnt: npt.NDArray[np.bool_],
        target: npt.NDArray[np.intp],
        oof_scores: Floats,
        other_scores: Floats,
    ) -> tuple[Floats, npt.NDArray[np.bool_]]:
        """Fine-tune the network on the learnt texts but a held-back tenth, and choose on that
        tenth how its view joins the SVM's (:mod:`~crmind.assistant.intent_mixing`). Returns
        the joined held-out probabilities of the training texts and which rows hold them (the
        held-back tenth and the texts not learnt)."""
        from crmind.text.e5_finetune import FineTunedE5, FineTuning

        rows = np.flatnonzero(learnt)
        back = held_back_tenth(target, self.random_state)
        if not back.any():
            raise ModelDataError(
                "fine-tuning holds back a tenth of the examples to weigh the network: "
                f"it needs an intent with at least {MIN_HELD_BACK_CLASS} examples"
            )
        network = FineTunedE5(FineTuning(random_state=self.random_state))
        network.fit(list(texts[rows[~back]]), target[~back], len(self._labels))
        svm = log_softmax(oof_scores[back] / self.temperature_, axis=1)
        logits = network.logits(list(texts[rows[back]]))
        self.mixture_ = mixture = choose_mixture(svm, logits, target[back])
        self._network = network
        held_out = np.zeros((len(texts), len(self._labels)))
        held_out[rows[back]] = mixture.probabilities(svm, logits)
        viewed = ~learnt
        viewed[rows[back]] = True
        if (~learnt).any():
            held_out[~learnt] = mixture.probabilities(
                log_softmax(other_scores / self.temperature_, axis=1),
                network.logits(list(texts[~learnt])),
            )
        return held_out, viewed

    def _refused(
        self, everything: npt.NDArray[np.float64], threshold: float | None = None
    ) -> npt.NDArray[np.bool_]:
        """Whether each row is refused: read as out of scope, its in-scope score under the
        threshold, or without any feature (equal probabilities)."""
        intents = everything[:, : len(self.classes_)]
        score = in_scope_score(intents, self._top)
        refused = score < (self.threshold_ if threshold is None else threshold)
        refused |= np.isclose(intents.min(axis=1), intents.max(axis=1))
        if self.oos_class_:
            refused |= everything.argmax(axis=1) == len(self.classes_)
        return np.asarray(refused)

    def _choose_scope(
        self, everything: npt.NDArray[np.float64], names: npt.NDArray[np.object_], source: str
    ) -> None:
        """Set ``scope_top_`` (the ``scope_top`` hyperparameter, else the one of :data:`TOPS`
        whose threshold refuses the most held-out out-of-scope messages, the smaller on a tie;
        kept as it is when none is held out or the threshold is fixed), then the threshold."""
        if self.scope_top is not None:
            self.scope_top_ = self.scope_top
        elif self.threshold is None and (names == OUT_OF_SCOPE).any():
            recall = []
            for top in TOPS:
                self.scope_top_ = top
                self._choose_threshold(everything, names, source)
                recall.append(self.calibration_["out_of_scope_recall"])
            self.scope_top_ = TOPS[int(np.argmax(recall))]
        self._choose_threshold(everything, names, source)

    def _choose_threshold(
        self, everything: npt.NDArray[np.float64], names: npt.NDArray[np.object_], source: str
    ) -> None:
        """Set ``threshold_`` by the in-scope accuracy budget on held-out probabilities, and
        ``calibration_`` with the figures it rests on."""
        scope = names != OUT_OF_SCOPE
        probs = everything[:, : len(self.classes_)]
        read = np.array(self.classes_, dtype=object)[probs.argmax(axis=1)]
        best = in_scope_score(probs, self._top)
        closed = read[scope] == names[scope]
        if self.threshold is not None:
            self.threshold_, self.threshold_source_ = float(self.threshold), "fixed"
        else:
            right = closed & ~self._refused(everything[scope], threshold=0.0)
            self.threshold_ = budget_threshold(
                best[scope], right, float(right.mean()), self.max_in_scope_loss
            )
            self.threshold_source_ = source
        refused = self._refused(everything)
        self.calibration_: dict[str, Any] = {
            "source": self.threshold_source_,
            "texts": len(names),
            "closed_set_accuracy": round(float(closed.mean()), 4),
            "in_scope_accuracy": round(float((closed & ~refused[scope]).mean()), 4),
            "out_of_scope_texts": int((~scope).sum()),
            "out_of_scope_recall": (
                round(float(refused[~scope].mean()), 4) if (~scope).any() else None
            ),
        }

    @property
    def _top(self) -> int:
        return int(getattr(self, "scope_top_", 1))  # 1 in models saved before the choice

    def _check_parameters(self) -> None:
        if self.threshold is not None and not 0 <= self.threshold <= 1:
            raise ConfigurationError(f"threshold must be in [0, 1], not {self.threshold}")
        if not 0 <= self.max_in_scope_loss < 1:
            raise ConfigurationError(
                f"max_in_scope_loss must be in [0, 1), not {self.max_in_scope_loss}"
            )
        if self.scope_top is not None and self.scope_top < 1:
            raise ConfigurationError(f"scope_top must be at least 1, not {self.scope_top}")
        if self.folds < 2:
            raise ConfigurationError(f"folds must be at least 2, not {self.folds}")
        if self.C is not None and self.C <= 0:
            raise ConfigurationError(f"C must be positive, not {self.C}")

    def _new_svm(self) -> LinearSVC:
        return LinearSVC(C=self.penalty, random_state=self.random_state)

    @property
    def penalty(self) -> float:
        """The SVM's ``C``: as given, else 1.0 on n-grams and 0.5 with embeddings (the better
        of each in cross-validation on Banking77's training split: the 384 dense embedding
        features want a stronger regularisation than the sparse n-grams)."""
        if self.C is not None:
            return self.C
        return 0.5 if self.embeddings else 1.0

    def _out_of_fold(
        self,
        learnt: tuple[csr_matrix, npt.NDArray[np.float32]],
        target: npt.NDArray[np.intp],
        other: tuple[csr_matrix, npt.NDArray[np.float32]],
        smallest: int,
    ) -> tuple[tuple[Floats, Floats], tuple[Floats, Floats]]:
        """Scores (the SVM's, the neighbours') of each learnt text (its features, its
        embedding) by a model that did not see it, and of the other texts (out-of-scope ones
        not learnt as a class), each by the model of one fold. The neighbours' scores are 0
        without embeddings."""
        n_labels = len(self._labels)
        folds = min(self.folds, smallest)
        splitter = StratifiedKFold(folds, shuffle=True, random_state=self.random_state)
        scores, near = np.zeros((len(target), n_labels)), np.zeros((len(target), n_labels))
        n_other = other[0].shape[0]
        other_scores, other_near = np.zeros((n_other, n_labels)), np.zeros((n_other, n_labels))
        other_fold = np.arange(n_other) % folds
        for fold, (train, held_out) in enumerate(splitter.split(np.zeros(len(target)), target)):
            svm = self._new_svm().fit(learnt[0][train], target[train])
            seen = svm.classes_
            unseen = np.setdiff1d(np.arange(n_labels), seen)
            scores[np.ix_(held_out, seen)] = _decision(svm, learnt[0][held_out])
            scores[np.ix_(held_out, unseen)] = -np.inf
            mine = np.flatnonzero(other_fold == fold)
            if len(mine):
                other_scores[np.ix_(mine, seen)] = _decision(svm, other[0][mine])
                other_scores[np.ix_(mine, unseen)] = -np.inf
            if self.embeddings:
                neighbours = NeighbourScores().fit(learnt[1][train], target[train], n_labels)
                near[held_out] = neighbours.scores(learnt[1][held_out])
                other_near[mine] = neighbours.scores(other[1][mine])
        return (scores, near), (other_scores, other_near)


def _decision(svm: LinearSVC, matrix: csr_matrix) -> npt.NDArray[np.float64]:
    """One score per class of ``svm`` (a two-class SVM gives one number: ``-s`` and ``s``):
    its ``decision_function`` without the input checks that cost more than the product."""
    scores = np.asarray(matrix @ svm.coef_.T, dtype=np.float64) + svm.intercept_
    return np.column_stack([-scores[:, 0], scores[:, 0]]) if scores.shape[1] == 1 else scores


def trained_model_path(data_dir: Path) -> Path:
    """Where ``crmind intents train`` saves the model of a data directory."""
    return data_dir / TRAINED_MODEL


def default_classifier(data_dir: Path | None = None) -> IntentClassifier:
    """The model ``crmind intents train`` saved under ``data_dir`` if there is one, else the
    classifier of the shipped retail intent set; each read or trained once per process (a
    model saved again is read again)."""
    if data_dir is not None:
        path = trained_model_path(data_dir)
        if path.exists():
            return _saved_classifier(path.resolve(), path.stat().st_mtime_ns)
    return _shipped_classifier()


@cache
def _shipped_classifier() -> IntentClassifier:
    texts, labels = load_intent_spec().training_data()
    return IntentClassifier().fit(texts, labels)


@cache
def _saved_classifier(path: Path, modified_ns: int) -> IntentClassifier:
    del modified_ns  # part of the cache key only
    return IntentClassifier.load(path)
