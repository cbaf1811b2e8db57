# Complaints and the PX Action Center: navigation and the core words
nav-my-work = My work
nav-complaints = Complaints
nav-actions = PX Actions
nav-sla-settings = SLA settings
