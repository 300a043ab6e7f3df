"""Text's Keras side: token ids -> (token dropout, replacement) -> embedding (masked padding, optional pre-trained vectors, spatial
dropout) -> the shared LSTM body -> a sigmoid or softmax head."""

from __future__ import annotations

from typing import Any

import keras

from lstmtune.tasks import heads
from lstmtune.tasks.augment import token_augmented
from lstmtune.tasks.text.data import TextData


class TextKeras(heads.ItemsKeras):
    def __init__(self, data: TextData):
        self.data = data

    def inputs(self, values: dict[str, Any]):
        length = int(values["sequence_length"])
        tokens = keras.Input(shape=(length,), dtype="int32", name="tokens")
        # Ids are below both max_tokens and the vocabulary's size, so the table needs no more rows.
        rows = min(int(values["max_tokens"]), self.data.encoder.size)
        pretrained = self.data.embedding_matrix()
        options: dict[str, Any] = {}
        if pretrained is not None:  # embedding_dim was fixed to the vectors' width when the space was planned
            options["embeddings_initializer"] = keras.initializers.Constant(pretrained[0][:rows])
        x = keras.layers.Embedding(
            rows,
            int(values["embedding_dim"]),
            mask_zero=True,
            trainable=bool(values["embedding_trainable"]),
            name="embedding",
            **options,
        )(token_augmented(tokens, values, rows))
        if values["embedding_dropout"]:
            x = keras.layers.SpatialDropout1D(values["embedding_dropout"], name="embedding_dropout")(x)
        return tokens, x, None

    def head(self, x, values: dict[str, Any]):
        return heads.classification_head(x, self.data.n_classes)

    def loss(self):
        return heads.classification_loss(self.data.n_classes)

    def metrics(self):
        return heads.classification_metrics(self.data.n_classes)

    def dataset(
        self,
        split: str,
        values: dict[str, Any],
        batch_size: int,
        shuffle: bool = False,
        seed: int | None = None,
        with_targets: bool = True,
    ):
        targets = heads.classification_targets(self.data.y[split], self.data.n_classes) if with_targets else None
        return heads.array_dataset(self.data.inputs(split, values), targets, batch_size, shuffle, seed)
