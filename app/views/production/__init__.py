"""Production master data (issue 20): work centres, staff, skills, shifts and production calendars."""
