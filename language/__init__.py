"""Danish language knowledge in one home: analysis, folding, compounds, thesaurus, spelling, understanding, municipalities."""
