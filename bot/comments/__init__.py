"""Comments: members' words from article threads to the site's comments, with consent."""
