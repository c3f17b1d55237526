/* Multi-value filters' choices in the user's language, and only real choices.
 *
 * Runs right after select2 is loaded and before Flask-Admin's scripts: the
 * filters already on a list (in its URL) are built as soon as those scripts
 * load, before the page is ready, and a wrapper installed later reached only
 * filters added by hand. Words come from #picker-locale, as the date pickers'.
 */
(function () {
  "use strict";
  var source = document.getElementById("picker-locale");
  if (!source || !window.jQuery) { return; }
  var settings = JSON.parse(source.textContent);
  var $ = window.jQuery;

  var select2 = $.fn.select2;
  if (select2) {
    var words = settings.select2;
    $.extend(select2.defaults, {
      formatNoMatches: function () { return words.noMatches; },
      formatSearching: function () { return words.searching; },
      formatLoadMore: function () { return words.loadMore; },
      formatAjaxError: function () { return words.loadFailed; },
      formatInputTooShort: function (input, min) {
        return words.typeMore.replace("{n}", min - input.length);
      }
    });
    // Flask-Admin's "any of" filters pass their own English hint; ours replaces it.
    // Where the filter lists its choices (outlets), only those can be picked: the
    // typed text is no choice of its own, so Enter picks the matching option.
    $.fn.select2 = function (options) {
      if (options && typeof options === "object" && options.tags) {
        var known = $.isArray(options.tags) && options.tags.length > 0;
        arguments[0] = $.extend({}, options, known ? {
          createSearchChoice: function () { return null; },
          formatNoMatches: function () { return words.noMatches; }
        } : {
          formatNoMatches: function () { return words.commaSeparated; }
        });
      }
      return select2.apply(this, arguments);
    };
    $.extend($.fn.select2, select2);
  }
})();
