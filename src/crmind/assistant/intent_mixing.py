"""Weighing the fine-tuned network's reading of a message against the SVM's.

Both views give each intent a probability (the SVM's by its calibrated temperature; the
network's by a temperature fitted the same way, :func:`~crmind.assistant.intent_calibration.
fit_temperature`). They are joined as a weighted geometric mean, renormalised and given a
temperature of its own: ``softmax(((1 - w) log p_svm + w log p_net) / T)``. ``w`` is the smallest of
:data:`WEIGHTS` with the lowest log-loss on messages neither view was trained on (the SVM's
out-of-fold scores, the network's scores of messages held back from its training), ``T``
fitted at each ``w``. A geometric mean keeps what both views agree on and lets a confident
view overrule a hesitant one, which is what two readers with different errors (n-grams and
frozen E5 against a fine-tuned E5) are for.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.special import log_softmax

from crmind.assistant.intent_calibration import fit_temperature, probabilities

Floats = npt.NDArray[np.float64]

WEIGHTS = tuple(round(0.1 * step, 1) for step in range(11))
TIE = 1e-4
"""Log-losses this close count as equal; the smaller weight wins (a view that reads nothing,
flattened by its temperature, changes the loss by less)."""


@dataclass(frozen=True)
class Mixture:
    """How the two views are joined (see the module docstring)."""

    network_temperature: float
    weight: float
    temperature: float

    def probabilities(self, svm_log_probs: Floats, network_logits: Floats) -> Floats:
        """Joined probabilities of messages' two views."""
        return probabilities(self._joined(svm_log_probs, network_logits), self.temperature)

    def _joined(self, svm_log_probs: Floats, network_logits: Floats) -> Floats:
        network = log_softmax(network_logits / self.network_temperature, axis=1)
        # an intent the SVM never saw (-inf) stays impossible whatever the weight
        return np.asarray((1 - self.weight) * svm_log_probs + self.weight * network)


def choose_mixture(
    svm_log_probs: Floats, network_logits: Floats, target: npt.NDArray[np.intp]
) -> Mixture:
    """The mixture of lowest log-loss on held-out messages whose true columns are
    ``target``."""
    rows = np.arange(len(target))
    network_temperature = fit_temperature(network_logits, target)
    fitted: list[tuple[float, Mixture]] = []
    for weight in WEIGHTS:
        draft = Mixture(network_temperature, weight, 1.0)
        joined = draft._joined(svm_log_probs, network_logits)
        temperature = fit_temperature(joined, target)
        loss = float(-log_softmax(joined / temperature, axis=1)[rows, target].mean())
        fitted.append((loss, Mixture(network_temperature, weight, temperature)))
    lowest = min(loss for loss, _ in fitted)
    return next(mixture for loss, mixture in fitted if loss <= lowest + TIE)
