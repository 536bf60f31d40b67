/** A valid rules file with one rule (tag new users), for the synth to validate and ship. */
export const TAG_NEW_USERS_RULES = `version: 1
rules:
  - name: tag-new-users
    topics: [user.created]
    actions:
      - operation: create_tag
        params:
          body:
            name: new-user
            users:
              - id: "{{data.item.id}}"
`;
