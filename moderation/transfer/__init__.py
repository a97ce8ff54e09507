"""Bringing comments in and taking them out: WordPress (WXR), Disqus and Isso imports, the JSON dump."""
