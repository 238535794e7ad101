"""The SimpleTuner services: auth, config, scheduler, trainer and the HTTP gateway."""
