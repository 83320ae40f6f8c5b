"""Questions: answer readers from the stored key facts and outlook, with citations."""
