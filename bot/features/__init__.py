"""Use cases over the store: updates, review, extensions, evidence, onboarding, campaign, KPIs."""
