"""Following site feeds: fetching, parsing, scheduling and choosing what to post."""
