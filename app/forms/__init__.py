"""WTForms forms of the screens: field checks only (the rules are services')."""
