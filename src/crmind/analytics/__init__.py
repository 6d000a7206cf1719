"""Customer analytics: profiles, RFM, segments, lifecycle stages and lifetime value."""
