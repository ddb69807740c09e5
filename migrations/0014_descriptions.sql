-- 0014_descriptions: the free text Harbor keeps on a repository (its description, set with
-- PUT /projects/{p}/repositories/{r}) and on a user (the comment of PUT /users/{id}).
ALTER TABLE repositories ADD COLUMN description text NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN comment text NOT NULL DEFAULT '';
