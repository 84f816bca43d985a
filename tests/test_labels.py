"""Labels hash once, when made; copies and unpickled labels hash afresh (string hashes differ
between processes)."""

from __future__ import annotations

import copy
import pickle
import subprocess
import sys

from jc_build.labels import Label, parse_label


def test_equal_labels_hash_alike_and_key_the_same_entry() -> None:
    table = {parse_label("//llm/sglang:0.4.9"): "sglang"}
    assert table[Label("llm/sglang", "0.4.9")] == "sglang" and hash(Label("a", "b")) != hash(Label("a", "c"))


def test_a_label_from_another_process_hashes_as_one_made_here() -> None:
    code = "import pickle, sys; from jc_build.labels import Label; sys.stdout.buffer.write(pickle.dumps(Label('a', 'b')))"
    blob = subprocess.run([sys.executable, "-c", code], capture_output=True, check=True).stdout
    other = pickle.loads(blob)  # noqa: S301 - made by this test
    assert {Label("a", "b"): 1}[other] == 1 and {copy.deepcopy(other): 1}[Label("a", "b")] == 1
