"""Administrative regions: city → county/district → town/street → village, with their official codes."""
