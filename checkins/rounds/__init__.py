"""The round lifecycle: members join, answer a flow question by question, submit, and the round closes.

Owns the pure answering state machine (`answering`), what a member sees while answering (`screens`), the round
service that opens rounds and records answers (`service`), closing and the digest hand-off (`closing`), the opening
announcement (`announcements`), joining and leaving (`membership`, `onboarding`), member settings (`settings`) and
the end of a supervision process (`processes`). May import `digest`, `privacy` and everything below; never
`schedule`.
"""
