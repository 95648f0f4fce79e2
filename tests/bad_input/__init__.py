"""Bad input end to end: the real bot over HTTP against the simulator, fed what it does not expect.

Each test checks two things: the short, friendly reply (or callback toast) the person gets, and that nothing else
changed — no stray messages, the member is still on the same question (the proper button or message afterwards
still works), and the digest at close holds exactly the answers that were really given.
"""
