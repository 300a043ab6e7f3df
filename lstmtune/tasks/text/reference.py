"""Text classification's reference: TF-IDF over word 1-2-grams and logistic regression (scikit-learn).

The vectoriser is fitted on the training texts only (words seen in at least two of them, sublinear term
frequencies); the regularisation C is chosen on validation by the search's own objective, and balanced
class weights are used when the search uses them (--class-weight auto).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lstmtune.tasks.linear import SPLITS, classifier
from lstmtune.tasks.reference import Reference, quiet_fit

if TYPE_CHECKING:
    from lstmtune.tasks.text.data import TextData

NAME = "TF-IDF (word 1-2-grams) + logistic regression"


def fit_reference(data: TextData) -> Reference:
    from sklearn.feature_extraction.text import TfidfVectorizer

    with quiet_fit():
        vectorizer = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True)
        vectorizer.fit([str(text) for text in data.texts["train"]])
        features = {split: vectorizer.transform([str(text) for text in data.texts[split]]) for split in SPLITS}
        chosen = classifier(NAME, features, data.y, data.prior, data.objective, data.settings.class_weight == "auto")
    labels = [data.labels[i] for i in chosen.predictions]
    parameters = {**chosen.parameters, "ngrams": [1, 2], "min_df": 2, "features": len(vectorizer.vocabulary_)}
    return Reference(name=NAME, figures=chosen.figures, parameters=parameters, predictions=labels)
