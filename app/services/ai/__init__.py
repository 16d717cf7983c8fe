"""The AI assistant. The local engine (`local.LocalEngine`) reads an inbound text offline: intent and sentiment
from classifiers trained on the labeled corpus in `corpus/`, language, and the deterministic rules that decide the
safety-critical cases whatever the model says."""
