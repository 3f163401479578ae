"""The implementation of ``mx.test_utils``, split by topic; import it from there."""
