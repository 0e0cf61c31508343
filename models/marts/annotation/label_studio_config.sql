-- The Label Studio labeling configuration (XML) of the annotation tasks, generated from the tag
-- taxonomy: the project's title as a header, its text, and one Choice per tag with its
-- description and aliases as the hint, so that adding a tag to tag_taxonomy changes the tool.
-- Annotations come back with the canonical tag names (the Choice values).
with

taxonomy as (

    select * from {{ ref('stg_labeling__tag_taxonomy') }}

),

choices as (

    select
        tag,
        tag_description
        || case
            when aliases is not null and aliases <> ''
                then ' Also called: ' || replace(aliases, '|', ', ') || '.'
            else ''
        end as hint

    from taxonomy

),

config as (

    select
        count(*) as n_tags,
        '<View>' || chr(10)
        || '  <Header value="$title"/>' || chr(10)
        || '  <Text name="text" value="$text"/>' || chr(10)
        || '  <Choices name="tag" toName="text" choice="single-radio" showInline="false">'
        || chr(10)
        || {{ labeling_string_agg(
            "'    <Choice value=\"' || " ~ labeling_xml_escape('tag')
            ~ " || '\" hint=\"' || " ~ labeling_xml_escape('hint') ~ " || '\"/>'",
            'chr(10)', ['tag']
        ) }} || chr(10)
        || '  </Choices>' || chr(10)
        || '</View>' as label_config

    from choices

)

select * from config
