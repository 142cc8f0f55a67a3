"""特定個人情報保護評価 (SPIA) authoring service."""
